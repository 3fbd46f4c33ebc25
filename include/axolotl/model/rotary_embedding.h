// Rotary position embedding, HF convention (FORMATS.md §2.4): inv_freq from rope_theta with the
// default/linear/dynamic/llama3 scaling types; cos/sin of concat(freqs, freqs); rotate_half pairs
// dimension i with i + d/2. inv_freq is not a parameter or buffer (legacy checkpoint keys are ignored).
#pragma once

#include <torch/torch.h>

#include <utility>

#include "axolotl/model/llama_config.h"

namespace axolotl::model {

// inv_freq (hd/2) in float32 for `config`, for a sequence of `seq_len` (only `dynamic` depends on it).
torch::Tensor rope_inv_freq(const LlamaConfig& config, int64_t seq_len);

class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const LlamaConfig& config);
  // position_ids (B, T) int64 -> cos, sin (B, T, hd) in `dtype`, computed in float32.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(const torch::Tensor& position_ids, torch::ScalarType dtype);

 private:
  LlamaConfig config_;
  torch::Tensor inv_freq_;  // (hd/2) float32, on the device last used
};

// q (B, nh, T, hd), k (B, nkv, T, hd), cos/sin (B, T, hd) -> rotated q, k.
std::pair<torch::Tensor, torch::Tensor> apply_rotary(const torch::Tensor& q, const torch::Tensor& k,
                                                     const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace axolotl::model
