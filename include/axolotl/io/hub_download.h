// Fetches the files a command needs from a Hugging Face Hub repo into the huggingface_hub cache and
// returns the snapshot folder. A complete cached snapshot costs one listing request online, none offline
// (HF_HUB_OFFLINE) or for a commit-sha revision; an unreachable Hub falls back to the cache.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "axolotl/io/hub_env.h"
#include "axolotl/io/hub_select.h"
#include "axolotl/io/http_retry.h"

namespace axolotl::io {

struct DownloadOptions {
  RepoType type = RepoType::kModel;
  HubContent content = HubContent::kModel;  // what to fetch when no include globs are given
  std::optional<HubEnv> env;                // default: HubEnv::from_environment()
  RetryPolicy retry;
  bool progress = true;
};

struct DownloadResult {
  std::string folder;               // HF_HUB_CACHE/<type>s--org--name/snapshots/<commit>
  std::string commit;
  std::vector<std::string> files;   // repo-relative paths now present in `folder`
  int downloaded = 0;               // files fetched over the network
  int requests = 0;                 // HTTP requests sent (0: served from the cache alone)
};

// `revision` "" means "main". Throws IoError (no network, not found, gated, checksum...), UsageError for a
// malformed repo id.
DownloadResult download_repo(const std::string& repo_id, const std::string& revision,
                             const std::vector<std::string>& include_globs, const DownloadOptions& options = {});

// huggingface_hub's validate_repo_id: "name" or "org/name" of [A-Za-z0-9_.-], no "--" or "..", no leading or
// trailing "-" / ".", name at most 96 characters.
bool is_repo_id(const std::string& s);

}  // namespace axolotl::io
