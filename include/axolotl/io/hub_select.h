// Which files of a Hub repo a command needs: config, safetensors weights (the shards an index names),
// tokenizer files, adapters, json/jsonl data, or user globs. Pickled weights are never selected.
#pragma once

#include <string>
#include <vector>

namespace axolotl::io {

enum class HubContent { kModel, kTokenizer, kAdapter, kDataset, kAll };

inline constexpr const char* kSafetensorsIndex = "model.safetensors.index.json";

// fnmatch(3) without flags, as Python's fnmatch used by huggingface_hub: "*" also matches "/";
// a pattern ending in "/" matches everything below that folder.
bool glob_match(const std::string& pattern, const std::string& path);

struct FileSelection {
  std::vector<std::string> files;  // sorted; the index's shards are added once it is local
  std::string problem;             // why the needed files are not all there ("" when fine)
  std::string hint;
};

// Picks from `repo_files` what `content` needs, or what `globs` match when any are given.
FileSelection select_files(const std::vector<std::string>& repo_files, HubContent content,
                           const std::vector<std::string>& globs);

// The shard file names of a model.safetensors.index.json (values of "weight_map"), sorted and unique.
// Throws IoError when the file is unreadable or malformed.
std::vector<std::string> shards_from_index(const std::string& index_path);

const char* hub_content_name(HubContent content);  // "model", "tokenizer", ...

}  // namespace axolotl::io
