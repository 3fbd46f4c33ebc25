// Cache layout of huggingface_hub (file_download.py: _create_symlink, _cache_commit_hash_for_specific_revision,
// try_to_load_from_cache), so that a cache filled by Python is reused and vice versa.
#include "axolotl/io/hub_cache.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::io {
namespace fs = std::filesystem;

namespace {

std::string random_hex8() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kHex[rng() & 15];
  return s;
}

IoError fs_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  return IoError(Diagnostic{{path}, {}, what + ": " + ec.message(), {}, {},
                            "check permissions and free space of the Hub cache (HF_HUB_CACHE / HF_HOME)"});
}

}  // namespace

bool is_commit_sha(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string normalize_etag(const std::string& etag) {
  std::string s = etag;
  if (s.rfind("W/", 0) == 0) s = s.substr(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

void check_repo_path(const std::string& path, const std::string& what) {
  bool bad = path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
             path.find('\0') != std::string::npos;
  std::stringstream ss(path);
  std::string part;
  while (!bad && std::getline(ss, part, '/')) bad = part.empty() || part == "." || part == "..";
  if (!bad && path.back() == '/') bad = true;
  if (bad) throw IoError(Diagnostic{{}, what, "unsafe path in Hub repo", path, "a relative path inside the repo", {}});
}

HubCache::HubCache(std::string cache_root, RepoType type, std::string repo_id)
    : root_(std::move(cache_root)), repo_dir_(root_ + "/" + folder_name(type, repo_id)) {}

std::string HubCache::folder_name(RepoType type, const std::string& repo_id) {
  std::string name = std::string(repo_type_name(type)) + "s";
  std::string id = repo_id;
  for (size_t pos = 0; (pos = id.find('/', pos)) != std::string::npos; pos += 2) id.replace(pos, 1, "--");
  return name + "--" + id;
}

std::string HubCache::blob_path(const std::string& etag) const { return repo_dir_ + "/blobs/" + etag; }

std::string HubCache::lock_path(const std::string& etag) const {
  return root_ + "/.locks/" + fs::path(repo_dir_).filename().string() + "/" + etag + ".lock";
}

std::string HubCache::snapshot_dir(const std::string& commit) const { return repo_dir_ + "/snapshots/" + commit; }

std::string HubCache::snapshot_file(const std::string& commit, const std::string& path) const {
  return snapshot_dir(commit) + "/" + path;
}

std::optional<std::string> HubCache::cached_commit(const std::string& revision) const {
  std::error_code ec;
  if (is_commit_sha(revision)) {
    if (fs::is_directory(snapshot_dir(revision), ec)) return revision;
    return std::nullopt;
  }
  std::ifstream f(repo_dir_ + "/refs/" + revision);
  if (!f) return std::nullopt;
  std::string commit;
  std::getline(f, commit);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
  if (!is_commit_sha(commit)) {
    log::warn("hub", "ignoring malformed ref {}/refs/{}", repo_dir_, revision);
    return std::nullopt;
  }
  return commit;
}

void HubCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (is_commit_sha(revision) || revision == commit) return;
  if (cached_commit(revision) == commit) return;
  std::error_code ec;
  fs::create_directories(fs::path(repo_dir_ + "/refs/" + revision).parent_path(), ec);
  if (ec) throw fs_error("cannot create folder", repo_dir_ + "/refs", ec);
  write_file_atomic(repo_dir_ + "/refs/" + revision, commit);
}

void HubCache::link_snapshot(const std::string& commit, const std::string& path, const std::string& etag) const {
  fs::path link = snapshot_file(commit, path);
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  if (ec) throw fs_error("cannot create snapshot folder", link.parent_path().string(), ec);
  std::string target = "../../blobs/" + etag;
  for (size_t n = std::count(path.begin(), path.end(), '/'); n > 0; --n) target = "../" + target;
  fs::path tmp = link.string() + "." + random_hex8() + ".tmp";
  fs::create_symlink(target, tmp, ec);
  if (ec) {  // no symlinks here (some network file systems): copy the blob, as huggingface_hub does
    fs::copy_file(blob_path(etag), tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw fs_error("cannot place file in snapshot", link.string(), ec);
  }
  fs::rename(tmp, link, ec);
  if (ec) {
    fs::remove(tmp);
    throw fs_error("cannot place file in snapshot", link.string(), ec);
  }
}

bool HubCache::has_file(const std::string& commit, const std::string& path) const {
  std::error_code ec;
  return fs::is_regular_file(snapshot_file(commit, path), ec);  // follows the link: a dangling one is false
}

std::vector<std::string> HubCache::snapshot_files(const std::string& commit) const {
  std::vector<std::string> files;
  fs::path dir = snapshot_dir(commit);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (fs::is_regular_file(it->path(), ec)) files.push_back(it->path().lexically_relative(dir).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void HubCache::mark_missing(const std::string& commit, const std::string& path) const {
  fs::path marker = repo_dir_ + "/.no_exist/" + commit + "/" + path;
  std::error_code ec;
  fs::create_directories(marker.parent_path(), ec);
  if (!ec) std::ofstream(marker).flush();
}

bool HubCache::known_missing(const std::string& commit, const std::string& path) const {
  std::error_code ec;
  return fs::exists(repo_dir_ + "/.no_exist/" + commit + "/" + path, ec);
}

void HubCache::tag_cache_dir() const {
  fs::path tag = fs::path(root_) / "CACHEDIR.TAG";
  std::error_code ec;
  if (fs::exists(tag, ec)) return;
  try {
    fs::create_directories(root_, ec);
    write_file_atomic(tag.string(),
                      "Signature: 8a477f597d28d172789f06886806bc55\n"
                      "# This file is a cache directory tag created by huggingface_hub-compatible axolotl.\n");
  } catch (const IoError&) {
  }
}

}  // namespace axolotl::io
