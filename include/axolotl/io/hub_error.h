// Turns failed Hub requests into IoErrors that say what was not found or not allowed, using the
// X-Error-Code header (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo; FORMATS.md §5.2.5).
#pragma once

#include <string>

#include "axolotl/io/hub_env.h"
#include "axolotl/io/http_client.h"

namespace axolotl::io {

// What a request was about, for the message.
struct HubTarget {
  RepoType type = RepoType::kModel;
  std::string repo_id;
  std::string revision;
  std::string filename;  // empty for repo-level calls
  bool has_token = false;
  std::string endpoint;
};

// The Hub could not be reached or kept failing (no answer, 5xx, 429 after every retry): the caller may
// fall back to the cache, as huggingface_hub does.
class HubUnreachableError : public IoError {
 public:
  using IoError::IoError;
};

// Throws the IoError for a non-2xx answer (after `tries` tries), with a hint; HubUnreachableError for 5xx/429.
[[noreturn]] void throw_hub_http_error(const HttpResponse& response, const HubTarget& target, int tries);
// Throws HubUnreachableError naming the endpoint for a request that got no answer.
[[noreturn]] void throw_hub_network_error(const HttpTransportError& error, const HubTarget& target, int tries);

}  // namespace axolotl::io
