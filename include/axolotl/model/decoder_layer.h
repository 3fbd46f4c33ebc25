// One LLaMA decoder layer: h = x + attn(input_layernorm(x)); out = h + mlp(post_attention_layernorm(h))
// (FORMATS.md §2.3), registered under the HF names.
#pragma once

#include <torch/torch.h>

#include "axolotl/model/attention.h"
#include "axolotl/model/mlp.h"
#include "axolotl/model/rms_norm.h"

namespace axolotl::model {

class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  LlamaDecoderLayerImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // x (B, T, H); cos/sin (B, T, hd); allowed (B, 1, T, S) -> (B, T, H)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KvCache* cache, int64_t layer);

  RMSNorm input_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  RMSNorm post_attention_layernorm{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

}  // namespace axolotl::model
