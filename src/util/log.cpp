// spdlog behind axolotl/util/log.h: one stderr sink, "[module] message" lines, the level word coloured
// only where terminal.h allows (a terminal, NO_COLOR unset).
#include "axolotl/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "axolotl/util/error.h"
#include "axolotl/util/terminal.h"

namespace axolotl::log {
namespace {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    // spdlog's automatic mode looks at isatty and TERM but not NO_COLOR, so the choice is made here.
    auto l = spdlog::stderr_color_mt("axolotl", colour_allowed(STDERR_FILENO) ? spdlog::color_mode::always
                                                                              : spdlog::color_mode::never);
    l->set_pattern("%^%l%$ %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

Level current = Level::kInfo;

}  // namespace

Level parse_level(std::string_view name) {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  throw UsageError(Diagnostic{{}, "--log-level", "unknown log level", std::string(name),
                              "one of trace, debug, info, warn, error, off", {}});
}

void set_level(Level level) {
  current = level;
  logger().set_level(to_spdlog(level));
}

Level level() { return current; }

bool enabled(Level level) { return level >= current && current != Level::kOff; }

void write(Level level, std::string_view module, std::string_view message) {
  logger().log(to_spdlog(level), "[{}] {}", module, message);
}

}  // namespace axolotl::log
