// `axolotl download REPO`: fetches a Hugging Face Hub repo (the files training needs, or --include globs)
// into the huggingface_hub cache and prints the local snapshot folder on stdout.
#include <cstdio>

#include "axolotl/cli/command.h"
#include "axolotl/io/hub_download.h"
#include "axolotl/util/error.h"

namespace axolotl::cli {

namespace {

struct DownloadArgs {
  std::string repo;
  std::string revision;
  std::vector<std::string> include;
  std::string repo_type = "model";
  bool no_progress = false;
};

}  // namespace

void add_download_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand(
      "download", "download a repo from the Hugging Face Hub into its cache and print the local folder");
  auto args = std::make_shared<DownloadArgs>();
  sub->add_option("repo", args->repo, "repo id, org/name")->required();
  sub->add_option("--revision", args->revision, "branch, tag or commit (default: main)");
  sub->add_option("--include", args->include,
                  "only files matching this glob (repeatable); default: what training needs (config, "
                  "safetensors weights, tokenizer; json/jsonl data for datasets)");
  sub->add_option("--repo-type", args->repo_type, "model or dataset")->capture_default_str();
  sub->add_flag("--no-progress", args->no_progress, "no progress display");
  sub->footer("Examples:\n"
              "  axolotl download HuggingFaceTB/SmolLM2-135M             config, weights and tokenizer of a model\n"
              "  axolotl download meta-llama/Llama-3.2-1B --revision main --include '*.json'\n"
              "  axolotl download yahma/alpaca-cleaned --repo-type dataset   a dataset's .json/.jsonl files\n"
              "The printed folder can be used as base_model; train also downloads a Hub base_model itself.\n\n"
              "Environment: HF_TOKEN, HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE (as huggingface_hub).");
  sub->callback([args, &dispatch] {
    dispatch.run = [args]() -> int {
      io::DownloadOptions options;
      options.type = io::parse_repo_type(args->repo_type);
      options.content = options.type == io::RepoType::kDataset ? io::HubContent::kDataset
                        : options.type == io::RepoType::kSpace  ? io::HubContent::kAll
                                                                : io::HubContent::kModel;
      options.progress = !args->no_progress;
      io::DownloadResult r = io::download_repo(args->repo, args->revision, args->include, options);
      std::printf("%s\n", r.folder.c_str());
      return 0;
    };
  });
}

}  // namespace axolotl::cli
