// One decoder layer, registered under the HF names. LLaMA: h = x + attn(input_layernorm(x));
// out = h + mlp(post_attention_layernorm(h)) (FORMATS.md §2.3). Gemma-2/3 (sandwich_norms):
// h = x + post_attention_layernorm(attn(input_layernorm(x)));
// out = h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h))) (FORMATS2.md §5).
#pragma once

#include <torch/torch.h>

#include "axolotl/model/attention.h"
#include "axolotl/model/mlp.h"
#include "axolotl/model/rms_norm.h"

namespace axolotl::model {

class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  LlamaDecoderLayerImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // x (B, T, H); cos/sin (B, T, rd); mask.allowed (B, 1, T, S) -> (B, T, H)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const AttentionMask& mask, KvCache* cache, int64_t layer);

  RMSNorm input_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  RMSNorm post_attention_layernorm{nullptr};
  RMSNorm pre_feedforward_layernorm{nullptr};   // sandwich_norms only
  RMSNorm post_feedforward_layernorm{nullptr};  // sandwich_norms only
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

}  // namespace axolotl::model
