// Reads a YAML config in either dialect (nested or Python Axolotl's flat one) into Config,
// applies command-line overrides, validates, and reports every problem at once as ConfigError.
#pragma once

#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/util/error.h"

namespace axolotl::config {

struct LoadResult {
  Config config;
  // Informational lines: keys accepted but steering only a Python backend, deprecated spellings, ...
  std::vector<Diagnostic> notes;
};

// `overrides` are "key=value" strings; key is nested ("training.learning_rate") or flat
// ("learning_rate"); value is parsed as YAML. Precedence: defaults < file < overrides.
// Throws ConfigError listing every problem, IoError when the file cannot be read.
LoadResult load_file(const std::string& path, const std::vector<std::string>& overrides = {});
LoadResult load_string(const std::string& yaml, const std::string& name,
                       const std::vector<std::string>& overrides = {});

}  // namespace axolotl::config
