// LlamaModel / LlamaForCausalLM (HF modeling_llama.py): embeddings, decoder stack, final norm, lm_head.
#include "axolotl/model/llama_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include "axolotl/model/attention_mask.h"
#include "axolotl/model/cpu_gemm.h"

namespace axolotl::model {

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c, const torch::TensorOptions& options)
    : config_(c), rotary_(c) {
  embed_tokens = register_module("embed_tokens", TokenEmbedding(c.vocab_size, c.hidden_size, options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(LlamaDecoderLayer(c, options));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
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
  auto allowed = attention_allowed(segments, key_segments, offset, config_.sliding_window);  // (B, 1, T, S)
  auto h = embed_tokens->forward(input_ids);                                       // (B, T, H)
  auto [cos, sin] = rotary_.cos_sin(positions, h.scalar_type());                   // (B, T, hd) each
  for (size_t i = 0; i < layers->size(); ++i) {
    h = layers->ptr<LlamaDecoderLayerImpl>(i)->forward(h, cos, sin, allowed, args.cache, static_cast<int64_t>(i));
  }
  if (args.cache) args.cache->end_step();
  return norm->forward(h);  // (B, T, H)
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c, const torch::TensorOptions& options) : config_(c) {
  model = register_module("model", LlamaModel(c, options));
  if (!c.tie_word_embeddings) {
    lm_head = register_module("lm_head", std::make_shared<DenseLinear>(c.hidden_size, c.vocab_size, false, options));
  }
}

torch::Tensor LlamaForCausalLMImpl::logits(const torch::Tensor& hidden) {
  if (lm_head) return lm_head->forward(hidden);                                    // (B, T, V)
  return model::linear(hidden, model->embed_tokens->weight);                      // (B, T, V), tied
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
      p.fill_(1.0);
    } else if (is_bias) {
      p.zero_();
    } else {
      auto values = at::normal(0.0, std, p.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32));
      p.copy_(values);
    }
  }
}

}  // namespace axolotl::model
