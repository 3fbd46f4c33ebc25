// ShardedReader: a model folder's safetensors weights, either one `model.safetensors` or
// `model.safetensors.index.json` + shards (FORMATS.md §1.5), as one name -> tensor lookup.
// Every shard is mapped and validated on open (mmap is cheap); index problems are reported at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "axolotl/io/safetensors.h"

namespace axolotl::io {

// A tensor found in a checkpoint: the file holding it and its header entry.
struct TensorRef {
  const SafetensorsFile* file = nullptr;
  const TensorInfo* info = nullptr;
  explicit operator bool() const { return file != nullptr; }
  const uint8_t* data() const { return file->data(*info); }
};

class ShardedReader {
 public:
  // Opens `dir`/<base>.safetensors, else `dir`/<base>.safetensors.index.json and its shards
  // (the single file wins when both exist, as in transformers). IoError listing every problem.
  static std::unique_ptr<ShardedReader> open(const std::string& dir, const std::string& base = "model");

  // True when `dir` holds either form of checkpoint.
  static bool exists(const std::string& dir, const std::string& base = "model");

  bool sharded() const { return !index_path_.empty(); }
  const std::string& index_path() const { return index_path_; }  // empty when not sharded
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  const std::vector<std::string>& names() const { return names_; }  // sorted
  size_t size() const { return names_.size(); }

  TensorRef find(std::string_view name) const;  // empty ref when absent
  TensorRef at(std::string_view name) const;    // IoError when absent
  uint64_t total_bytes() const;                 // sum of tensor data sizes

 private:
  ShardedReader() = default;
  std::string dir_;
  std::string index_path_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorRef, std::less<>> refs_;
  std::vector<std::string> names_;
};

}  // namespace axolotl::io
