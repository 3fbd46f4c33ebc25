// "did you mean …?" for paths: the model folders below a parent folder given as a model, and the
// existing path closest to a mistyped one (edit distance, one path component at a time). Reads only
// directory listings, a few levels deep; never throws.
#pragma once

#include <string>
#include <vector>

namespace axolotl {

// Folders under `dir` (itself excluded, `depth` levels down, sorted) that hold `file`, spelt as
// `dir` was ("outputs" -> "outputs/tiny-model"). At most `limit`.
std::vector<std::string> folders_holding(const std::string& dir, const std::string& file, int depth = 2,
                                         size_t limit = 5);

// The existing path that `path` most likely meant: each missing component replaced by the closest
// sibling name within a small edit distance ("outputs/tiny-modle" -> "outputs/tiny-model"). Empty
// when `path` exists or nothing close does.
std::string close_existing_path(const std::string& path);

// "did you mean X?" or "did you mean one of X, Y?" for `folders`; empty when there are none.
std::string did_you_mean_paths(const std::vector<std::string>& folders);

}  // namespace axolotl
