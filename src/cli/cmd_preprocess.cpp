// `axolotl preprocess CONFIG`: tokenizes, masks and caches the datasets (no LibTorch needed).
#include "axolotl/cli/command.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/loader.h"
#include "axolotl/util/error.h"

namespace axolotl::cli {

void add_preprocess_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("preprocess", "tokenize, mask and cache the datasets of a config");
  auto args = std::make_shared<ConfigArgs>();
  add_config_args(*sub, *args);
  sub->callback([sub, args, &dispatch] {
    dispatch.run = [sub, args]() -> int {
      config::load_file(args->path, overrides_from(*args, sub->remaining()));
      throw NotAvailableError("preprocess is not available yet (dataset pipeline not built)");
    };
  });
}

}  // namespace axolotl::cli
