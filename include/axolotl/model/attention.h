// LLaMA self-attention with HF semantics (FORMATS.md §2.3): q/k/v/o projections (swappable, see
// linear.h), RoPE, GQA repeat_kv, scores·hd^-0.5, masked, softmax in float32, optional KV cache.
// Plain matmul attention (LibTorch 1.13 has no SDPA); device-agnostic.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "axolotl/model/kv_cache.h"
#include "axolotl/model/linear.h"
#include "axolotl/model/llama_config.h"

namespace axolotl::model {

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  LlamaAttentionImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // x (B, T, H); cos/sin (B, T, hd); allowed (B, 1, T, S) bool; cache optional (layer `layer`).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KvCache* cache, int64_t layer);

  // "q_proj", "k_proj", "v_proj" or "o_proj"; set_projection replaces the registered submodule.
  std::shared_ptr<LinearLike> projection(const std::string& name) const;
  void set_projection(const std::string& name, std::shared_ptr<LinearLike> layer);

  std::shared_ptr<LinearLike> q_proj, k_proj, v_proj, o_proj;

 private:
  std::shared_ptr<LinearLike>& slot(const std::string& name);
  int64_t num_heads_, num_kv_heads_, head_dim_;
  double scaling_;
};
TORCH_MODULE(LlamaAttention);

// k or v (B, nkv, S, hd) -> (B, nkv·n_rep, S, hd); query head j uses kv head j / n_rep.
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep);

}  // namespace axolotl::model
