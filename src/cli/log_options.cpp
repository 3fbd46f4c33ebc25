// Logging options shared by the top level and every command (see log_options.h).
#include "axolotl/cli/log_options.h"

namespace axolotl::cli {

log::Level LogOptions::resolve() const {
  if (quiet) return log::Level::kWarn;
  if (!level.empty()) return log::parse_level(level);
  if (debug) return log::Level::kDebug;
  return log::Level::kInfo;
}

void add_log_options(CLI::App& app, LogOptions& options, bool with_debug) {
  app.add_option("--log-level", options.level, "trace, debug, info (default), warn, error or off")
      ->group("Logging");
  app.add_flag("-q,--quiet", options.quiet, "only warnings and errors on stderr")->group("Logging");
  if (with_debug) app.add_flag("--debug", options.debug, "debug logs (as --log-level debug)")->group("Logging");
}

}  // namespace axolotl::cli
