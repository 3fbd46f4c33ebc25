// Decoder self-attention with HF semantics (FORMATS.md §2.3, FORMATS2.md §5): q/k/v/o projections
// (swappable, see linear.h) or Phi-3's fused qkv_proj, optional per-head q_norm/k_norm before RoPE
// (Qwen3, Gemma-3), (partial) RoPE, GQA repeat_kv, scores·hd^-0.5 (or query_pre_attn_scalar^-0.5),
// optional tanh soft-capping before the mask (Gemma-2), softmax in float32, optional KV cache.
// Plain matmul attention (LibTorch 1.13 has no SDPA); device-agnostic.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "axolotl/model/attention_mask.h"
#include "axolotl/model/kv_cache.h"
#include "axolotl/model/linear.h"
#include "axolotl/model/llama_config.h"
#include "axolotl/model/rms_norm.h"

namespace axolotl::model {

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  LlamaAttentionImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // x (B, T, H); cos/sin (B, T, rotary_dim); mask.allowed (B, 1, T, S) bool, attention by its blocks
  // when it has them and there is no cache; cache optional (layer `layer`).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const AttentionMask& mask, KvCache* cache, int64_t layer);

  // The projections this layer has: q_proj, k_proj, v_proj, o_proj (or qkv_proj, o_proj when fused).
  const std::vector<std::string>& projection_names() const { return names_; }
  // One of projection_names(); set_projection replaces the registered submodule.
  std::shared_ptr<LinearLike> projection(const std::string& name) const;
  void set_projection(const std::string& name, std::shared_ptr<LinearLike> layer);

  std::shared_ptr<LinearLike> q_proj, k_proj, v_proj, o_proj;  // q/k/v null when fused
  std::shared_ptr<LinearLike> qkv_proj;                        // Phi-3: rows q, k, v; null otherwise
  RMSNorm q_norm{nullptr}, k_norm{nullptr};                     // (hd) each, when config.qk_norm

 private:
  std::shared_ptr<LinearLike>& slot(const std::string& name);
  std::vector<std::string> names_;
  int64_t num_heads_, num_kv_heads_, head_dim_;
  double scaling_;
  std::optional<double> softcap_;
};
TORCH_MODULE(LlamaAttention);

// k or v (B, nkv, S, hd) -> (B, nkv·n_rep, S, hd); query head j uses kv head j / n_rep.
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep);

}  // namespace axolotl::model
