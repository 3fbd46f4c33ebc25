// Logging to stderr behind one header; spdlog itself is included only in src/util/log.cpp.
// Lines read "[module] message". Metrics are not logged here: they are data (train/metrics).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace axolotl::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Parses "trace|debug|info|warn|warning|error|off"; throws UsageError otherwise.
Level parse_level(std::string_view name);
void set_level(Level level);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view module, std::string_view message);

template <typename... Args>
void debug(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, module, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, module, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, module, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kError)) write(Level::kError, module, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace axolotl::log
