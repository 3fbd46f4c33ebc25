// The causal decoder of every family in family.h (LlamaForCausalLM, Qwen2/3, Gemma-2/3, Phi-3, ...) with
// Hugging Face names: named_parameters() keys are the checkpoint keys (model.embed_tokens.weight,
// model.layers.3.self_attn.q_proj.weight, model.norm.weight, lm_head.weight — absent when
// tie_word_embeddings; a sequence classifier (config.num_labels > 0) has score.weight instead). Family
// differences come from LlamaConfig's trait fields; with all of them off this is LLaMA exactly.
// Parameters are created uninitialised in the requested dtype and device; fill them with load_weights
// (weight_loader.h) or init_weights.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "axolotl/model/decoder_layer.h"
#include "axolotl/model/kv_cache.h"
#include "axolotl/model/linear.h"
#include "axolotl/model/llama_config.h"
#include "axolotl/model/rotary_embedding.h"

namespace axolotl::model {

// Optional inputs of a forward pass; undefined tensors take their defaults.
struct ForwardArgs {
  // (B, T) int64; default: restart at each segment start when segment_ids are given, else
  // cache length + 0..T-1.
  torch::Tensor position_ids;
  // (B, T) int64; tokens attend only to earlier tokens of the same id (packed samples; 0 = padding,
  // an HF 0/1 attention_mask works as-is). Default: all ones.
  torch::Tensor segment_ids;
  // Right padding as transformers computes it from a 0/1 attention_mask: a padding query (segment 0)
  // sees every earlier non-padding key and no padding key. Only padding positions change (their
  // logits, which TRL's ORPO/CPO logits/* metrics average); tokens never see padding either way.
  bool padding_sees_tokens = false;
  KvCache* cache = nullptr;  // incremental decoding; keys/values of earlier steps
  // When set, each decoder layer runs as wrap_layer(layer_fn, h) (activation checkpointing); layer_fn
  // holds its inputs by value, so it may be called again after forward returns.
  std::function<torch::Tensor(const std::function<torch::Tensor(const torch::Tensor&)>&, const torch::Tensor&)>
      wrap_layer;
};

class LlamaModelImpl : public torch::nn::Module {
 public:
  LlamaModelImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // input_ids (B, T) int64 -> final-normed hidden states (B, T, H)
  torch::Tensor forward(const torch::Tensor& input_ids, const ForwardArgs& args = {});
  // input_ids (B, T) -> embeddings (B, T, H), times sqrt(H) in the model dtype for Gemma.
  torch::Tensor embed(const torch::Tensor& input_ids);

  TokenEmbedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};  // of LlamaDecoderLayer
  RMSNorm norm{nullptr};

 private:
  LlamaConfig config_;
  RotaryEmbedding rotary_;
  std::unique_ptr<RotaryEmbedding> local_rotary_;  // Gemma-3 sliding layers (rope_local_base_freq)
  bool has_global_ = true, has_local_ = false;     // which masks the layers need
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLMImpl : public torch::nn::Module {
 public:
  LlamaForCausalLMImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // input_ids (B, T) int64 -> logits (B, T, V) in the model dtype
  torch::Tensor forward(const torch::Tensor& input_ids, const ForwardArgs& args = {});
  // hidden (B, T, H) -> logits (B, T, V) (for losses over a subset of positions); Error for a classifier.
  torch::Tensor logits(const torch::Tensor& hidden);
  // A classifier's (num_labels > 0) head: hidden (..., H) -> scores (..., num_labels).
  torch::Tensor scores(const torch::Tensor& hidden);
  bool is_classifier() const { return config_.num_labels > 0; }

  const LlamaConfig& config() const { return config_; }
  // What config.json says the pad id is (a trained reward model's: the one its pooling stops at).
  void set_pad_token_id(std::optional<int64_t> id) { config_.pad_token_id = id; }
  LlamaDecoderLayerImpl& layer(int64_t i) { return *model->layers->ptr<LlamaDecoderLayerImpl>(i); }
  torch::ScalarType dtype() const { return model->embed_tokens->weight.scalar_type(); }
  torch::Device device() const { return model->embed_tokens->weight.device(); }

  LlamaModel model{nullptr};
  std::shared_ptr<DenseLinear> lm_head;  // nullptr when tie_word_embeddings, and for a classifier
  std::shared_ptr<DenseLinear> score;    // a classifier's head (HF *ForSequenceClassification.score); else nullptr
  // QAT with tied embeddings: the head's own fake quantizer over the shared table (torchao swaps the
  // tied lm_head Linear like any other).
  std::shared_ptr<FakeQuantizer> tied_head_fake_quant;

 private:
  LlamaConfig config_;
};
TORCH_MODULE(LlamaForCausalLM);

// HF _init_weights: Linear/Embedding weights ~ N(0, initializer_range), biases 0, RMSNorm weights 1,
// drawn on the CPU from a generator seeded with `seed` (same values on any device).
void init_weights(LlamaForCausalLMImpl& model, uint64_t seed);

}  // namespace axolotl::model
