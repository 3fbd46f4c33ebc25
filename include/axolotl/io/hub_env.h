// Hugging Face Hub settings read from the environment exactly as huggingface_hub reads them
// (FORMATS.md §5.1): endpoint, cache folder, offline switch, token, timeouts.
#pragma once

#include <string>

namespace axolotl::io {

enum class RepoType { kModel, kDataset, kSpace };

struct HubEnv {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT, no trailing "/"
  std::string hf_home;                               // HF_HOME
  std::string hub_cache;                             // HF_HUB_CACHE (or HUGGINGFACE_HUB_CACHE)
  bool offline = false;                              // HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE
  std::string token;                                 // HF_TOKEN, HUGGING_FACE_HUB_TOKEN, or the token file
  std::string token_source;                          // where the token came from, for messages
  long etag_timeout_s = 10;                          // HF_HUB_ETAG_TIMEOUT: metadata requests
  long download_timeout_s = 10;                      // HF_HUB_DOWNLOAD_TIMEOUT: connect / stall limit

  // Reads the current process environment.
  static HubEnv from_environment();
};

// huggingface_hub's boolean rule: upper-cased value in {"1", "ON", "YES", "TRUE"}.
bool env_flag_true(const char* value);

// "model" / "dataset" / "space"; parse throws UsageError on anything else.
const char* repo_type_name(RepoType type);
RepoType parse_repo_type(const std::string& name);

}  // namespace axolotl::io
