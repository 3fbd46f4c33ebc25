// LlamaDecoderLayer (HF modeling_llama.py LlamaDecoderLayer, pre-norm residual blocks).
#include "axolotl/model/decoder_layer.h"

namespace axolotl::model {

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& c, const torch::TensorOptions& options) {
  self_attn = register_module("self_attn", LlamaAttention(c, options));
  mlp = register_module("mlp", LlamaMlp(c, options));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                             const torch::Tensor& allowed, KvCache* cache, int64_t layer) {
  auto h = x + self_attn->forward(input_layernorm->forward(x), cos, sin, allowed, cache, layer);  // (B, T, H)
  return h + mlp->forward(post_attention_layernorm->forward(h));                                  // (B, T, H)
}

}  // namespace axolotl::model
