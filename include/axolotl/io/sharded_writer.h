// ShardedWriter: writes tensors given one at a time into `model-0000i-of-0000N.safetensors` shards
// of at most max_shard_bytes of data plus `model.safetensors.index.json` (FORMATS.md §1.5), or a
// single `model.safetensors` when everything fits in one shard (as transformers does).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "axolotl/io/safetensors.h"

namespace axolotl::io {

class ShardedWriter {
 public:
  // `dir` must exist. Shards are filled in the order tensors are added (huggingface_hub
  // split_state_dict_into_shards_factory); a tensor larger than the limit gets a shard of its own.
  ShardedWriter(std::string dir, uint64_t max_shard_bytes,
                std::map<std::string, std::string> metadata = {{"format", "pt"}}, std::string base = "model");
  ~ShardedWriter();  // without finish(): removes every file it wrote
  ShardedWriter(const ShardedWriter&) = delete;
  ShardedWriter& operator=(const ShardedWriter&) = delete;

  // Queues a tensor. Its fill runs when its shard is written: at a later add() or at finish(), so
  // whatever fill reads must live until then. Shards are written as soon as they are full, so at
  // most one shard's worth of sources is pending.
  void add(TensorSource tensor);

  // Writes the last shard, gives the shards their final names, writes the index, and removes files
  // of an earlier checkpoint with the same base name. Returns the file names written.
  std::vector<std::string> finish();

  uint64_t total_bytes() const { return total_bytes_; }

 private:
  void flush_pending();
  void write_shard(std::vector<TensorSource> tensors);

  std::string dir_;
  uint64_t max_shard_bytes_;
  std::map<std::string, std::string> metadata_;
  std::string base_;
  std::vector<TensorSource> pending_;
  uint64_t pending_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  std::vector<std::string> temp_shards_;               // paths, in shard order
  std::vector<std::vector<std::string>> shard_names_;  // tensor names per shard
  std::map<std::string, bool> seen_;
  bool finished_ = false;
};

// Convenience: writes all `tensors` with a ShardedWriter.
std::vector<std::string> write_sharded(const std::string& dir, std::vector<TensorSource> tensors,
                                       uint64_t max_shard_bytes,
                                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace axolotl::io
