// Repo download in the order of huggingface_hub's snapshot_download: list the revision, then fetch each
// selected file by commit (HEAD for the blob name, GET the blob), link it into the snapshot, write the ref.
#include "axolotl/io/hub_download.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "axolotl/io/hub_cache.h"
#include "axolotl/io/hub_client.h"
#include "axolotl/util/log.h"

namespace axolotl::io {
namespace {

std::string join(const std::vector<std::string>& v, size_t limit = 10) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < limit; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > limit) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string label(RepoType type, const std::string& repo_id, const std::string& revision) {
  return std::string(repo_type_name(type)) + " repo '" + repo_id + "' at revision '" + revision + "'";
}

// A model's shards are those its index names; with explicit globs the user chose the files.
bool expands_index(const std::vector<std::string>& files, const std::vector<std::string>& globs,
                   const DownloadOptions& o) {
  return globs.empty() && o.content == HubContent::kModel && has(files, kSafetensorsIndex);
}

// The cached snapshot when it holds everything needed, else nullopt and the reason in *why_not.
std::optional<DownloadResult> from_cache(const HubCache& cache, const std::string& repo_id, const std::string& revision,
                                         const std::vector<std::string>& globs, const DownloadOptions& o,
                                         std::string* why_not, std::string* hint) {
  auto commit = cache.cached_commit(revision);
  if (!commit) {
    *why_not = "revision '" + revision + "' is not in the cache (" + cache.repo_dir() + ")";
    return std::nullopt;
  }
  FileSelection sel = select_files(cache.snapshot_files(*commit), o.content, globs);
  if (!sel.problem.empty()) {
    *why_not = "the cached snapshot " + cache.snapshot_dir(*commit) + " is incomplete: " + sel.problem;
    *hint = sel.hint;
    return std::nullopt;
  }
  if (expands_index(sel.files, globs, o)) {
    std::vector<std::string> missing;
    for (const auto& shard : shards_from_index(cache.snapshot_file(*commit, kSafetensorsIndex))) {
      if (!cache.has_file(*commit, shard)) missing.push_back(shard);
    }
    if (!missing.empty()) {
      *why_not = "the cached snapshot " + cache.snapshot_dir(*commit) + " lacks " + join(missing);
      return std::nullopt;
    }
    for (const auto& f : shards_from_index(cache.snapshot_file(*commit, kSafetensorsIndex))) sel.files.push_back(f);
  }
  std::sort(sel.files.begin(), sel.files.end());
  sel.files.erase(std::unique(sel.files.begin(), sel.files.end()), sel.files.end());
  return DownloadResult{cache.snapshot_dir(*commit), *commit, sel.files, 0, 0};
}

// Fetches `files` of `commit` that the snapshot lacks; returns how many were downloaded.
int fetch_missing(HubClient& client, const HubCache& cache, RepoType type, const std::string& repo_id,
                  const std::string& commit, const std::vector<std::string>& files) {
  int downloaded = 0;
  for (const auto& f : files) {
    if (cache.has_file(commit, f)) continue;
    FileMetadata meta = client.file_metadata(cache, type, repo_id, commit, f);
    if (meta.commit != commit) {
      log::warn("hub", "{}: the Hub answered for commit {} while {} was asked", f, meta.commit, commit);
    }
    HubTarget target{type, repo_id, commit, f, !client.env().token.empty(), client.env().endpoint};
    client.fetch_blob(cache, meta, target);
    cache.link_snapshot(commit, f, meta.etag);
    ++downloaded;
  }
  return downloaded;
}

}  // namespace

bool is_repo_id(const std::string& s) {
  if (s.empty() || s.find("--") != std::string::npos || s.find("..") != std::string::npos) return false;
  size_t slash = s.find('/');
  if (slash != std::string::npos && s.find('/', slash + 1) != std::string::npos) return false;
  std::vector<std::string> parts;
  if (slash == std::string::npos) {
    parts = {s};
  } else {
    parts = {s.substr(0, slash), s.substr(slash + 1)};
  }
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 96) return false;
    if (p.front() == '-' || p.front() == '.' || p.back() == '-' || p.back() == '.') return false;
    for (unsigned char c : p) {
      if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
    }
  }
  return true;
}

DownloadResult download_repo(const std::string& repo_id, const std::string& revision_in,
                             const std::vector<std::string>& globs, const DownloadOptions& o) {
  if (!is_repo_id(repo_id)) {
    throw UsageError(Diagnostic{{}, {}, "not a Hugging Face Hub repo id", repo_id, "org/name", {}});
  }
  const std::string revision = revision_in.empty() ? "main" : revision_in;
  check_repo_path(revision, "revision");
  const HubEnv env = o.env ? *o.env : HubEnv::from_environment();
  HubCache cache(env.hub_cache, o.type, repo_id);
  std::string why_not, hint;

  if (env.offline || (is_commit_sha(revision) && globs.empty())) {
    if (auto cached = from_cache(cache, repo_id, revision, globs, o, &why_not, &hint)) {
      log::debug("hub", "{}: using the cached snapshot {}", repo_id, cached->folder);
      return *cached;
    }
    if (env.offline) {
      throw IoError(Diagnostic{{}, repo_id, "offline mode (HF_HUB_OFFLINE): " + why_not, {}, {},
                               hint.empty() ? "run `axolotl download " + repo_id + "` with network access, "
                                              "or unset HF_HUB_OFFLINE"
                                            : hint});
    }
  }

  HubClient client(env, o.retry, o.progress);
  RepoListing listing;
  try {
    listing = client.list_repo(o.type, repo_id, revision);
  } catch (const HubUnreachableError& e) {
    auto cached = from_cache(cache, repo_id, revision, globs, o, &why_not, &hint);
    if (!cached) throw;
    log::warn("hub", "{}\n  using the cached snapshot {} instead", e.what(), cached->folder);
    return *cached;
  }

  FileSelection sel = select_files(listing.files, o.content, globs);
  if (!sel.problem.empty()) {
    throw IoError(Diagnostic{{}, repo_id, label(o.type, repo_id, revision) + ": " + sel.problem,
                             hub_content_name(o.content), {}, sel.hint});
  }
  const std::string& commit = listing.commit;
  cache.tag_cache_dir();
  DownloadResult result{cache.snapshot_dir(commit), commit, sel.files, 0, 0};
  result.downloaded = fetch_missing(client, cache, o.type, repo_id, commit, sel.files);
  if (expands_index(sel.files, globs, o)) {
    std::vector<std::string> shards = shards_from_index(cache.snapshot_file(commit, kSafetensorsIndex));
    std::vector<std::string> absent;
    for (const auto& s : shards) {
      if (!has(listing.files, s)) absent.push_back(s);
    }
    if (!absent.empty()) {
      throw IoError(Diagnostic{{}, repo_id, "the safetensors index names shards that are not in the repo",
                               join(absent), {}, "the repo is inconsistent at this revision; try another one"});
    }
    result.downloaded += fetch_missing(client, cache, o.type, repo_id, commit, shards);
    result.files.insert(result.files.end(), shards.begin(), shards.end());
    std::sort(result.files.begin(), result.files.end());
    result.files.erase(std::unique(result.files.begin(), result.files.end()), result.files.end());
  }
  cache.write_ref(revision, commit);
  result.requests = client.requests_sent();
  log::info("hub", "{}@{}: {} files ready, {} downloaded", repo_id, commit.substr(0, 10), result.files.size(),
            result.downloaded);
  return result;
}

}  // namespace axolotl::io
