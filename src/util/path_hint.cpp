// Path suggestions for wrong-folder messages (see path_hint.h).
#include "axolotl/util/path_hint.h"

#include <algorithm>
#include <filesystem>

#include "axolotl/util/edit_distance.h"

namespace axolotl {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxEntries = 2000;  // a listing larger than this is not searched for a sibling

// `base` joined with `name` as the user would type it ("" + "x" -> "x", "." is kept when given).
std::string join(const std::string& base, const std::string& name) {
  if (base.empty()) return name;
  return base.back() == '/' ? base + name : base + "/" + name;
}

void collect(const fs::path& dir, const std::string& spelt, const std::string& file, int depth, size_t limit,
             std::vector<std::string>& out) {
  if (depth <= 0 || out.size() >= limit) return;
  std::error_code ec;
  std::vector<std::pair<std::string, fs::path>> subs;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_directory(e2) && subs.size() < kMaxEntries) subs.emplace_back(it->path().filename().string(), it->path());
  }
  std::sort(subs.begin(), subs.end());
  for (const auto& [name, path] : subs) {
    if (out.size() >= limit) return;
    if (!name.empty() && name[0] == '.') continue;  // .git, .cache: not where models are kept
    if (fs::exists(path / file, ec)) out.push_back(join(spelt, name));
  }
  for (const auto& [name, path] : subs) {
    if (!name.empty() && name[0] != '.' && !fs::exists(path / file, ec)) {
      collect(path, join(spelt, name), file, depth - 1, limit, out);
    }
  }
}

// The entry of `dir` closest to `name` within max(1, |name| / 3) edits; empty when none is.
std::string closest_entry(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  std::string best;
  size_t best_d = std::max<size_t>(1, name.size() / 3) + 1;
  size_t seen = 0;
  for (auto it = fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec);
       !ec && it != fs::directory_iterator() && seen < kMaxEntries; it.increment(ec), ++seen) {
    const std::string entry = it->path().filename().string();
    const size_t d = edit_distance(name, entry);
    if (d < best_d || (d == best_d && !best.empty() && entry < best)) {
      best_d = d;
      best = entry;
    }
  }
  return best;
}

}  // namespace

std::vector<std::string> folders_holding(const std::string& dir, const std::string& file, int depth, size_t limit) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  collect(dir, dir, file, depth, limit, out);
  return out;
}

std::string close_existing_path(const std::string& path) {
  std::error_code ec;
  if (path.empty() || fs::exists(path, ec)) return {};
  std::string fixed;
  bool changed = false;
  for (const auto& part : fs::path(path)) {
    const std::string name = part.string();
    if (name.empty()) continue;
    const std::string next = fixed.empty() && name == "/" ? "/" : join(fixed, name);
    if (name == "/" || name == "." || name == ".." || fs::exists(next, ec)) {
      fixed = next;
      continue;
    }
    const std::string sibling = closest_entry(fixed, name);
    if (sibling.empty()) return {};
    fixed = join(fixed, sibling);
    changed = true;
  }
  return changed && fs::exists(fixed, ec) ? fixed : std::string();
}

std::string did_you_mean_paths(const std::vector<std::string>& folders) {
  if (folders.empty()) return {};
  if (folders.size() == 1) return "did you mean " + folders[0] + "?";
  std::string s = "did you mean one of ";
  for (size_t i = 0; i < folders.size(); ++i) s += (i ? ", " : "") + folders[i];
  return s + "?";
}

}  // namespace axolotl
