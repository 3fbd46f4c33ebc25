// The config path and override options shared by config-driven commands.
#include "axolotl/cli/command.h"

namespace axolotl::cli {

void add_config_args(CLI::App& sub, ConfigArgs& args) {
  sub.add_option("config", args.path, "YAML config (nested or Python Axolotl dialect)")->required();
  add_set_option(sub, args, "override a key: --set training.learning_rate=1e-4 (repeatable)");
  // Axolotl's flat form (--learning-rate 1e-4) arrives as extras; see overrides_from().
  sub.allow_extras();
}

void add_set_option(CLI::App& sub, ConfigArgs& args, const std::string& help) {
  // Run at each occurrence (trigger_on_parse), while the flat overrides before it are already in
  // sub.remaining(): that count places it among them.
  CLI::App* app = &sub;
  sub.add_option_function<std::vector<std::string>>(
         "--set",
         [app, &args](const std::vector<std::string>& values) {
           for (const auto& v : values) {
             args.sets.push_back(v);
             args.set_after.push_back(app->remaining().size());
           }
         },
         help)
      ->trigger_on_parse();
}

}  // namespace axolotl::cli
