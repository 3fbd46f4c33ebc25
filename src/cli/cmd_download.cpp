// `axolotl download REPO`: fetches a Hugging Face Hub repo into the shared cache.
#include "axolotl/cli/command.h"
#include "axolotl/util/error.h"

namespace axolotl::cli {

void add_download_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("download", "download a model repo from the Hugging Face Hub into its cache");
  auto repo = std::make_shared<std::string>();
  sub->add_option("repo", *repo, "org/name")->required();
  sub->callback([&dispatch] {
    dispatch.run = []() -> int { throw NotAvailableError("download is not available yet (Hub client not built)"); };
  });
}

}  // namespace axolotl::cli
