// Per-layer key/value cache for incremental decoding. Keys are stored after RoPE, before repeat_kv,
// with the segment id of every cached position so packed/padded batches keep their isolation.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace axolotl::model {

class KvCache {
 public:
  // Storage grows by doubling from `capacity` positions; tensors are allocated on first use.
  KvCache(int64_t num_layers, int64_t capacity = 256);

  int64_t length() const { return length_; }  // cached positions
  // Records the segment ids (B, T) of the step about to run; returns the ids of all keys (B, S + T).
  torch::Tensor begin_step(const torch::Tensor& segment_ids);
  // Stores layer `layer`'s new k, v (B, nkv, T, hd) at [length, length + T); returns the full
  // cached keys and values (B, nkv, S + T, hd).
  std::pair<torch::Tensor, torch::Tensor> append(int64_t layer, const torch::Tensor& k, const torch::Tensor& v);
  // Advances length by the T of the step (call once after all layers).
  void end_step();
  void clear();

 private:
  void reserve(int64_t needed, const torch::Tensor& like_k, int64_t layer);
  std::vector<torch::Tensor> k_, v_;  // (B, nkv, capacity, hd) each
  torch::Tensor segments_;            // (B, capacity) int64
  int64_t capacity_;
  int64_t length_ = 0;
  int64_t step_ = 0;                  // T of the running step
};

}  // namespace axolotl::model
