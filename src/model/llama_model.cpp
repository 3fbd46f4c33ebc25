// LlamaModel / LlamaForCausalLM (HF modeling_llama.py; gemma2/gemma3 scaled embeddings, per-layer
// sliding masks and RoPE bases, final logit soft-capping): embeddings, decoder stack, final norm, lm_head.
#include "axolotl/model/llama_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <memory>

#include "axolotl/model/attention_mask.h"
#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"

namespace axolotl::model {
namespace {

// Gemma-3's sliding layers: rope_local_base_freq, no scaling (HF Gemma3RotaryEmbedding for local layers).
LlamaConfig local_rope_config(const LlamaConfig& c) {
  LlamaConfig local = c;
  local.rope_theta = *c.rope_local_theta;
  local.rope_scaling = RopeScaling{};
  return local;
}

}  // namespace

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c, const torch::TensorOptions& options)
    : config_(c), rotary_(c) {
  embed_tokens = register_module("embed_tokens", TokenEmbedding(c.vocab_size, c.hidden_size, options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(LlamaDecoderLayer(c, options));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, options, c.norm_unit_offset));
  has_global_ = has_local_ = false;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) (c.layer_is_sliding(i) ? has_local_ : has_global_) = true;
  if (c.rope_local_theta && has_local_) local_rotary_ = std::make_unique<RotaryEmbedding>(local_rope_config(c));
}

torch::Tensor LlamaModelImpl::embed(const torch::Tensor& input_ids) {
  auto h = embed_tokens->forward(input_ids);  // (B, T, H)
  if (!config_.embed_scale) return h;
  // Gemma: the normaliser sqrt(H) is first rounded to the hidden dtype (FORMATS2.md §5).
  return h * torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)), h.options());
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& input_ids, const ForwardArgs& args) {
  const int64_t b = input_ids.size(0), t = input_ids.size(1);
  const int64_t offset = args.cache ? args.cache->length() : 0;
  auto segments = args.segment_ids.defined() ? args.segment_ids.to(torch::kInt64)
                                             : torch::ones({b, t}, input_ids.options().dtype(torch::kInt64));  // (B, T)
  torch::Tensor positions = args.position_ids;
  if (!positions.defined()) {
    positions = args.segment_ids.defined() && offset == 0
                    ? positions_from_segments(segments)                                                // (B, T)
                    : torch::arange(offset, offset + t, segments.options()).unsqueeze(0).expand({b, t});  // (B, T)
  }
  auto key_segments = args.cache ? args.cache->begin_step(segments) : segments;  // (B, S)
  // Each mask kind once per forward, with its diagonal blocks when there is no cache; shared, since
  // wrap_layer's functions hold their inputs by value and may run again after this returns.
  const bool find_blocks = args.cache == nullptr;
  std::shared_ptr<const AttentionMask> global, local;  // allowed (B, 1, T, S) each
  if (has_global_) {
    global = std::make_shared<const AttentionMask>(
        attention_mask(segments, key_segments, offset, std::nullopt, find_blocks, 64, args.padding_sees_tokens));
  }
  if (has_local_) {
    local = std::make_shared<const AttentionMask>(
        attention_mask(segments, key_segments, offset, config_.sliding_window, find_blocks, 64, args.padding_sees_tokens));
  }
  auto h = embed(input_ids);                                                       // (B, T, H)
  auto [cos, sin] = rotary_.cos_sin(positions, h.scalar_type());                   // (B, T, rd) each
  torch::Tensor local_cos = cos, local_sin = sin;
  if (local_rotary_) std::tie(local_cos, local_sin) = local_rotary_->cos_sin(positions, h.scalar_type());
  for (size_t i = 0; i < layers->size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    const bool sliding = config_.layer_is_sliding(index);
    auto* layer = layers->ptr<LlamaDecoderLayerImpl>(i).get();
    const auto& c = sliding ? local_cos : cos;
    const auto& s = sliding ? local_sin : sin;
    const auto& mask = sliding ? local : global;
    if (args.wrap_layer) {
      h = args.wrap_layer([layer, c, s, mask, cache = args.cache, index](const torch::Tensor& x) {
        return layer->forward(x, c, s, *mask, cache, index);  // (B, T, H)
      }, h);
    } else {
      h = layer->forward(h, c, s, *mask, args.cache, index);  // (B, T, H)
    }
  }
  if (args.cache) args.cache->end_step();
  return norm->forward(h);  // (B, T, H)
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c, const torch::TensorOptions& options) : config_(c) {
  model = register_module("model", LlamaModel(c, options));
  if (c.num_labels > 0) {  // HF *ForSequenceClassification: score = Linear(hidden, num_labels, bias=False);
    // *ForTokenClassification: with bias (its dropout is off: TRL's PRMTrainer disables dropout)
    score = register_module("score", std::make_shared<DenseLinear>(c.hidden_size, c.num_labels, c.token_classifier,
                                                                   options));
  } else if (!c.tie_word_embeddings) {
    lm_head = register_module("lm_head", std::make_shared<DenseLinear>(c.hidden_size, c.vocab_size, false, options));
  }
}

torch::Tensor LlamaForCausalLMImpl::scores(const torch::Tensor& hidden) {
  if (!score) throw Error("scores(): " + config_.architecture + " is a causal LM, not a classifier");
  return score->forward(hidden);  // (..., num_labels)
}

torch::Tensor LlamaForCausalLMImpl::logits(const torch::Tensor& hidden) {
  if (score) throw Error("logits(): a classifier (num_labels " + std::to_string(config_.num_labels) +
                         ") has no language-model head");
  const auto& fq = tied_head_fake_quant;
  auto out = lm_head ? lm_head->forward(hidden)                                                  // (B, T, V)
             : fq && fq->enabled ? model::linear(fq->input(hidden), fq->weight(model->embed_tokens->weight))
                                 : model::linear(hidden, model->embed_tokens->weight);          // (B, T, V), tied
  if (!config_.final_logit_softcapping) return out;
  const double cap = *config_.final_logit_softcapping;                             // Gemma-2
  return torch::tanh(out / cap) * cap;                                             // (B, T, V)
}

torch::Tensor LlamaForCausalLMImpl::forward(const torch::Tensor& input_ids, const ForwardArgs& args) {
  return logits(model->forward(input_ids, args));  // (B, T, V)
}

void init_weights(LlamaForCausalLMImpl& m, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std = m.config().initializer_range;
  for (auto& item : m.named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    const bool is_norm = name.find("norm.weight") != std::string::npos;
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (is_norm) {
      p.fill_(m.config().norm_unit_offset ? 0.0 : 1.0);  // Gemma norms are stored zero-centred
    } else if (is_bias) {
      p.zero_();
    } else {
      auto values = at::normal(0.0, std, p.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32));
      p.copy_(values);
    }
  }
}

}  // namespace axolotl::model
