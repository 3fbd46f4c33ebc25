// The config path and override options shared by config-driven commands.
#include "axolotl/cli/command.h"

namespace axolotl::cli {

void add_config_args(CLI::App& sub, ConfigArgs& args) {
  sub.add_option("config", args.path, "YAML config (nested or Python Axolotl dialect)")->required();
  sub.add_option("--set", args.sets, "override a key: --set training.learning_rate=1e-4 (repeatable)");
  // Axolotl's flat form (--learning-rate 1e-4) arrives as extras; see overrides_from().
  sub.allow_extras();
}

}  // namespace axolotl::cli
