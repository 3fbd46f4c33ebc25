// LlamaAttention (HF modeling_llama.py LlamaAttention + eager_attention_forward).
#include "axolotl/model/attention.h"

#include <cmath>

#include "axolotl/model/rotary_embedding.h"
#include "axolotl/model/scaled_attention.h"
#include "axolotl/util/error.h"

namespace axolotl::model {

torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep) {
  if (n_rep == 1) return x;
  const auto b = x.size(0), nkv = x.size(1), s = x.size(2), hd = x.size(3);
  return x.unsqueeze(2).expand({b, nkv, n_rep, s, hd}).reshape({b, nkv * n_rep, s, hd});  // (B, nh, S, hd)
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& c, const torch::TensorOptions& options)
    : num_heads_(c.num_attention_heads),
      num_kv_heads_(c.num_key_value_heads),
      head_dim_(c.head_dim),
      scaling_(1.0 / std::sqrt(c.query_pre_attn_scalar ? *c.query_pre_attn_scalar : static_cast<double>(c.head_dim))),
      softcap_(c.attn_logit_softcapping) {
  const bool bias = c.attention_bias;
  const bool qkv_bias = bias || c.qkv_bias;  // Qwen2: q/k/v biases only
  const int64_t q_out = num_heads_ * head_dim_, kv_out = num_kv_heads_ * head_dim_;
  if (c.fused_qkv) {
    qkv_proj = register_module("qkv_proj", std::make_shared<DenseLinear>(c.hidden_size, q_out + 2 * kv_out, qkv_bias, options));
    names_ = {"qkv_proj", "o_proj"};
  } else {
    q_proj = register_module("q_proj", std::make_shared<DenseLinear>(c.hidden_size, q_out, qkv_bias, options));
    k_proj = register_module("k_proj", std::make_shared<DenseLinear>(c.hidden_size, kv_out, qkv_bias, options));
    v_proj = register_module("v_proj", std::make_shared<DenseLinear>(c.hidden_size, kv_out, qkv_bias, options));
    names_ = {"q_proj", "k_proj", "v_proj", "o_proj"};
  }
  o_proj = register_module("o_proj", std::make_shared<DenseLinear>(q_out, c.hidden_size, bias, options));
  if (c.qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(head_dim_, c.rms_norm_eps, options, c.norm_unit_offset));
    k_norm = register_module("k_norm", RMSNorm(head_dim_, c.rms_norm_eps, options, c.norm_unit_offset));
  }
}

std::shared_ptr<LinearLike>& LlamaAttentionImpl::slot(const std::string& name) {
  if (qkv_proj && name == "qkv_proj") return qkv_proj;
  if (!qkv_proj) {
    if (name == "q_proj") return q_proj;
    if (name == "k_proj") return k_proj;
    if (name == "v_proj") return v_proj;
  }
  if (name == "o_proj") return o_proj;
  std::string expected;
  for (const auto& n : names_) expected += (expected.empty() ? "" : ", ") + n;
  throw Error(Diagnostic{{}, name, "no such attention projection", name, expected, {}});
}

std::shared_ptr<LinearLike> LlamaAttentionImpl::projection(const std::string& name) const {
  return const_cast<LlamaAttentionImpl*>(this)->slot(name);
}

void LlamaAttentionImpl::set_projection(const std::string& name, std::shared_ptr<LinearLike> layer) {
  auto& s = slot(name);
  s = replace_module(name, std::move(layer));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const AttentionMask& mask, KvCache* cache, int64_t layer) {
  const int64_t b = x.size(0), t = x.size(1);
  torch::Tensor q, k, v;
  if (qkv_proj) {  // Phi-3: rows [0, nh·hd) are q, then nkv·hd of k, then v
    auto qkv = qkv_proj->forward(x);                                                 // (B, T, (nh + 2·nkv)·hd)
    q = qkv.narrow(-1, 0, num_heads_ * head_dim_);                                   // (B, T, nh·hd)
    k = qkv.narrow(-1, num_heads_ * head_dim_, num_kv_heads_ * head_dim_);           // (B, T, nkv·hd)
    v = qkv.narrow(-1, (num_heads_ + num_kv_heads_) * head_dim_, num_kv_heads_ * head_dim_);
    q = q.reshape({b, t, num_heads_, head_dim_});
    k = k.reshape({b, t, num_kv_heads_, head_dim_});
    v = v.reshape({b, t, num_kv_heads_, head_dim_});
  } else {
    q = q_proj->forward(x).view({b, t, num_heads_, head_dim_});     // (B, T, nh, hd)
    k = k_proj->forward(x).view({b, t, num_kv_heads_, head_dim_});  // (B, T, nkv, hd)
    v = v_proj->forward(x).view({b, t, num_kv_heads_, head_dim_});  // (B, T, nkv, hd)
  }
  if (q_norm) {  // Qwen3 / Gemma-3: per head, before RoPE
    q = q_norm->forward(q);
    k = k_norm->forward(k);
  }
  q = q.transpose(1, 2);                                                                // (B, nh, T, hd)
  k = k.transpose(1, 2);                                                                // (B, nkv, T, hd)
  v = v.transpose(1, 2);                                                                // (B, nkv, T, hd)
  std::tie(q, k) = apply_rotary(q, k, cos, sin);                                        // same shapes
  if (cache != nullptr) std::tie(k, v) = cache->append(layer, k, v);                    // (B, nkv, S, hd)
  const int64_t n_rep = num_heads_ / num_kv_heads_;
  k = repeat_kv(k, n_rep);                                                              // (B, nh, S, hd)
  v = repeat_kv(v, n_rep);                                                              // (B, nh, S, hd)
  const AttentionScale scale{scaling_, softcap_};
  // Packed rows (a block-diagonal mask, no cache): each segment's block alone, not the full T×T row;
  // the blocks were found once for every layer of this mask's kind (llama_model.cpp).
  auto out = mask.blocks && cache == nullptr
                 ? block_attention(q, k, v, mask.allowed, *mask.blocks, scale)            // (B, T, nh, hd)
                 : masked_attention(q, k, v, mask.allowed, scale).transpose(1, 2);        // (B, T, nh, hd)
  out = out.reshape({b, t, num_heads_ * head_dim_});                                    // (B, T, nh·hd)
  return o_proj->forward(out);                                                          // (B, T, H)
}

}  // namespace axolotl::model
