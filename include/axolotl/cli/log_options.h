// The logging options of the command line: `--log-level LEVEL`, `-q/--quiet` and Axolotl's bare
// `--debug`, accepted before the command and after it (`axolotl train x.yml -q`).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "axolotl/util/log.h"

namespace axolotl::cli {

struct LogOptions {
  std::string level;   // --log-level; empty when not given
  bool quiet = false;  // -q/--quiet: warnings and errors only
  bool debug = false;  // --debug: as --log-level debug (Axolotl's flag)

  // --quiet wins, then an explicit --log-level, then --debug, else info. Throws UsageError for an
  // unknown level name.
  log::Level resolve() const;
};

// Adds the options to `app`, bound to `options`. `with_debug` is false for a command whose own
// `--debug` means something else (preprocess: show N rows, as Axolotl's preprocess --debug).
void add_log_options(CLI::App& app, LogOptions& options, bool with_debug = true);

}  // namespace axolotl::cli
