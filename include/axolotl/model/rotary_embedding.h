// Rotary position embedding, HF convention (FORMATS.md §2.4): inv_freq from rope_theta with the
// default/linear/dynamic/llama3/longrope/yarn scaling types; cos/sin of concat(freqs, freqs) (times the
// LongRoPE / YaRN attention factor); rotate_half pairs dimension i with i + d/2, over the first rotary_dim() dims
// (partial rotary). inv_freq is not a parameter or buffer (legacy checkpoint keys are ignored).
#pragma once

#include <torch/torch.h>

#include <utility>

#include "axolotl/model/llama_config.h"

namespace axolotl::model {

// inv_freq (rd/2) in float32 for `config`, for a sequence of `seq_len` (dynamic and longrope depend on it).
torch::Tensor rope_inv_freq(const LlamaConfig& config, int64_t seq_len);
// The LongRoPE / YaRN cos/sin multiplier (HF attention_factor); 1 for every other type.
double rope_attention_scaling(const LlamaConfig& config);

class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const LlamaConfig& config);
  // position_ids (B, T) int64 -> cos, sin (B, T, rd) in `dtype`, computed in float32.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(const torch::Tensor& position_ids, torch::ScalarType dtype);

 private:
  LlamaConfig config_;
  double attention_scaling_;
  torch::Tensor inv_freq_;  // (rd/2) float32, on the device last used
};

// q (B, nh, T, hd), k (B, nkv, T, hd), cos/sin (B, T, hd) -> rotated q, k.
std::pair<torch::Tensor, torch::Tensor> apply_rotary(const torch::Tensor& q, const torch::Tensor& k,
                                                     const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace axolotl::model
