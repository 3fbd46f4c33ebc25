// Turns the command line's config overrides into "key=value" strings for config::load_file.
#pragma once

#include <string>
#include <vector>

#include "axolotl/cli/command.h"

namespace axolotl::cli {

// `--set a.b=c` entries pass through; extras such as `--learning-rate 1e-4`, `--learning_rate=1e-4`
// or a bare `--sample-packing` (= true) become "learning_rate=1e-4". The result keeps the order the
// two forms were typed in (ConfigArgs::set_after), so the later one wins. Throws UsageError otherwise.
std::vector<std::string> overrides_from(const ConfigArgs& args, const std::vector<std::string>& extras);

}  // namespace axolotl::cli
