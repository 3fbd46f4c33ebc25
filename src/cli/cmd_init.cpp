// `axolotl init --preset NAME`: writes a commented, valid config.
#include "axolotl/cli/command.h"
#include "axolotl/util/error.h"

namespace axolotl::cli {

void add_init_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("init", "write a commented starter config from a preset");
  auto preset = std::make_shared<std::string>();
  sub->add_option("--preset", *preset, "preset name")->required();
  sub->callback([preset, &dispatch] {
    dispatch.run = [preset]() -> int { throw NotAvailableError("init is not available yet"); };
  });
}

}  // namespace axolotl::cli
