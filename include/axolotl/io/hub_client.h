// The Hub protocol of FORMATS.md §5.2/§5.4: repo listing, file metadata (HEAD, relative redirects only)
// and blob download (Range resume, sha256/size check, auth dropped on other hosts), with bounded retries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/io/hub_cache.h"
#include "axolotl/io/hub_env.h"
#include "axolotl/io/hub_error.h"
#include "axolotl/io/http_client.h"
#include "axolotl/io/http_retry.h"

namespace axolotl::io {

struct RepoListing {
  std::string commit;               // "sha" of the revision
  std::vector<std::string> files;   // siblings[].rfilename
};

struct FileMetadata {
  std::string commit;        // X-Repo-Commit
  std::string etag;          // normalized X-Linked-Etag or ETag: git sha1 (40 hex) or sha256 (64 hex)
  uint64_t size = 0;         // X-Linked-Size or Content-Length
  std::string download_url;  // Location of a redirect (CDN), else the resolve URL
};

class HubClient {
 public:
  HubClient(HubEnv env, RetryPolicy retry = {}, bool progress = true);

  const HubEnv& env() const { return env_; }
  int requests_sent() const { return requests_; }

  // {endpoint}/{prefix}{repo}/resolve/{quote(revision)}/{quote(filename)}
  std::string resolve_url(RepoType type, const std::string& repo_id, const std::string& revision,
                          const std::string& filename) const;

  // GET api/{models|datasets|spaces}/{repo}/revision/{revision}.
  RepoListing list_repo(RepoType type, const std::string& repo_id, const std::string& revision);

  // HEAD of the resolve URL. On EntryNotFound the commit's .no_exist marker is written in `cache`.
  FileMetadata file_metadata(const HubCache& cache, RepoType type, const std::string& repo_id,
                             const std::string& revision, const std::string& filename);

  // Brings blobs/<etag> into the cache (no-op when there). Resumes a partial .incomplete file with Range,
  // verifies size and (64-hex etags) sha256; a mismatching file is deleted. Serialised by .locks/.
  void fetch_blob(const HubCache& cache, const FileMetadata& meta, const HubTarget& target);

 private:
  std::vector<std::string> auth_headers(const std::string& url) const;
  // One request with retries on transient failures; returns the final answer (any status).
  HttpResponse send(const HttpRequest& request, const HubTarget& target);
  HubTarget target(RepoType type, const std::string& repo_id, const std::string& revision,
                   const std::string& filename) const;

  HubEnv env_;
  RetryPolicy retry_;
  bool progress_;
  int requests_ = 0;
};

}  // namespace axolotl::io
