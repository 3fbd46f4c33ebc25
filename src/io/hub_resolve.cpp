// Local-path-or-repo resolution (transformers' from_pretrained rule: an existing path is used as is).
#include "axolotl/io/hub_resolve.h"

#include <filesystem>

#include "axolotl/util/error.h"

namespace axolotl::io {
namespace fs = std::filesystem;

std::string resolve_local_path(const std::string& name_or_path, const std::string& revision, HubContent content,
                               const DownloadOptions& options) {
  std::error_code ec;
  bool want_dir = content != HubContent::kDataset;
  if (!name_or_path.empty() && (want_dir ? fs::is_directory(name_or_path, ec) : fs::exists(name_or_path, ec))) {
    return name_or_path;
  }
  std::string repo_id = name_or_path;
  std::string rev = revision;
  size_t at = repo_id.find('@');
  if (at != std::string::npos) {
    if (rev.empty()) rev = repo_id.substr(at + 1);
    repo_id = repo_id.substr(0, at);
  }
  if (!is_repo_id(repo_id) || (at != std::string::npos && rev.empty())) {
    throw IoError(Diagnostic{{name_or_path}, {}, std::string("no such local ") + (want_dir ? "folder" : "path") +
                             ", and not a Hugging Face Hub repo id", name_or_path, "an existing path or org/name",
                             "check the path (relative paths start from the current folder)"});
  }
  DownloadOptions o = options;
  o.content = content;
  if (content == HubContent::kDataset) o.type = RepoType::kDataset;
  return download_repo(repo_id, rev, {}, o).folder;
}

std::string resolve_model_dir(const std::string& name_or_path, const std::string& revision, RepoType type) {
  DownloadOptions o;
  o.type = type;
  HubContent content = type == RepoType::kDataset ? HubContent::kDataset : HubContent::kModel;
  return resolve_local_path(name_or_path, revision, content, o);
}

std::string resolve_tokenizer_dir(const std::string& name_or_path, const std::string& revision) {
  return resolve_local_path(name_or_path, revision, HubContent::kTokenizer);
}

std::string resolve_adapter_dir(const std::string& name_or_path, const std::string& revision) {
  return resolve_local_path(name_or_path, revision, HubContent::kAdapter);
}

std::string resolve_dataset_path(const std::string& name_or_path, const std::string& revision) {
  return resolve_local_path(name_or_path, revision, HubContent::kDataset);
}

}  // namespace axolotl::io
