// LlamaDecoderLayer (HF modeling_llama.py LlamaDecoderLayer; gemma2/gemma3 DecoderLayer's four norms).
#include "axolotl/model/decoder_layer.h"

namespace axolotl::model {

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& c, const torch::TensorOptions& options) {
  const bool offset = c.norm_unit_offset;
  self_attn = register_module("self_attn", LlamaAttention(c, options));
  mlp = register_module("mlp", LlamaMlp(c, options));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options, offset));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options, offset));
  if (c.sandwich_norms) {
    pre_feedforward_layernorm =
        register_module("pre_feedforward_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options, offset));
    post_feedforward_layernorm =
        register_module("post_feedforward_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options, offset));
  }
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                             const AttentionMask& mask, KvCache* cache, int64_t layer) {
  if (pre_feedforward_layernorm) {  // Gemma-2/3
    auto a = self_attn->forward(input_layernorm->forward(x), cos, sin, mask, cache, layer);  // (B, T, H)
    auto h = x + post_attention_layernorm->forward(a);                                          // (B, T, H)
    return h + post_feedforward_layernorm->forward(mlp->forward(pre_feedforward_layernorm->forward(h)));
  }
  auto h = x + self_attn->forward(input_layernorm->forward(x), cos, sin, mask, cache, layer);  // (B, T, H)
  return h + mlp->forward(post_attention_layernorm->forward(h));                                  // (B, T, H)
}

}  // namespace axolotl::model
