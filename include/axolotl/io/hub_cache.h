// One repository's folder in the huggingface_hub cache (FORMATS.md §5.3), shared with Python:
// blobs/<etag>, refs/<revision>, snapshots/<commit>/<path> relative symlinks, .no_exist markers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "axolotl/io/hub_env.h"

namespace axolotl::io {

bool is_commit_sha(const std::string& s);  // 40 lower-case hex digits
// Removes a leading "W/" and surrounding quotes: `W/"abc"` -> `abc`.
std::string normalize_etag(const std::string& etag);
// Throws IoError unless `path` is a relative path without "." / ".." parts or empty parts.
void check_repo_path(const std::string& path, const std::string& what);

class HubCache {
 public:
  HubCache(std::string cache_root, RepoType type, std::string repo_id);

  // "models--org--name", "datasets--org--name", "spaces--org--name".
  static std::string folder_name(RepoType type, const std::string& repo_id);

  const std::string& root() const { return root_; }
  const std::string& repo_dir() const { return repo_dir_; }
  std::string blob_path(const std::string& etag) const;
  std::string lock_path(const std::string& etag) const;
  std::string snapshot_dir(const std::string& commit) const;
  std::string snapshot_file(const std::string& commit, const std::string& path) const;

  // The commit for a revision without network: a sha as is (when its snapshot exists), else refs/<rev>.
  std::optional<std::string> cached_commit(const std::string& revision) const;
  // refs/<revision> = commit, written tmp+rename; nothing for a sha revision or an unchanged ref.
  void write_ref(const std::string& revision, const std::string& commit) const;

  // snapshots/<commit>/<path> -> ../../blobs/<etag> (one more ../ per sub-folder), replacing any old entry;
  // copies the blob where symlinks are not supported.
  void link_snapshot(const std::string& commit, const std::string& path, const std::string& etag) const;
  // The snapshot entry exists and, if a link, points at an existing blob.
  bool has_file(const std::string& commit, const std::string& path) const;
  // Every file in snapshots/<commit>, as repo-relative paths with "/", sorted.
  std::vector<std::string> snapshot_files(const std::string& commit) const;

  void mark_missing(const std::string& commit, const std::string& path) const;  // .no_exist/<commit>/<path>
  bool known_missing(const std::string& commit, const std::string& path) const;

  // Writes CACHEDIR.TAG at the cache root when absent (best effort).
  void tag_cache_dir() const;

 private:
  std::string root_;
  std::string repo_dir_;
};

}  // namespace axolotl::io
