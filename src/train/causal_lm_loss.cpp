// Summed causal-LM cross-entropy, with optional per-layer activation checkpointing.
#include "axolotl/train/causal_lm_loss.h"

#include "axolotl/model/attention_mask.h"
#include "axolotl/train/activation_checkpoint.h"
#include "axolotl/train/cross_entropy.h"

namespace axolotl::train {

BatchTensors to_tensors(const data::Batch& b, const torch::Device& device) {
  auto make = [&](const std::vector<int32_t>& v) {
    return torch::from_blob(const_cast<int32_t*>(v.data()), {b.rows, b.seq_len}, torch::kInt32)
        .to(device, torch::kInt64);  // (B, T) copy
  };
  return {make(b.input_ids), make(b.labels), make(b.position_ids), make(b.segment_ids)};
}

CausalLmLoss::CausalLmLoss(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing)
    : model_(model), checkpointing_(gradient_checkpointing), rotary_(model.config()) {}

torch::Tensor CausalLmLoss::hidden(const BatchTensors& b) {
  if (!checkpointing_) {
    model::ForwardArgs args;
    args.position_ids = b.position_ids;
    args.segment_ids = b.segment_ids;
    return model_.model->forward(b.input_ids, args);  // (B, T, H)
  }
  auto& m = *model_.model;
  auto allowed = model::attention_allowed(b.segment_ids, b.segment_ids, 0, model_.config().sliding_window);  // (B, 1, T, T)
  torch::Tensor h = m.embed_tokens->forward(b.input_ids);                // (B, T, H)
  auto [cos, sin] = rotary_.cos_sin(b.position_ids, h.scalar_type());    // (B, T, hd)
  // The recompute needs a graph input that requires grad (HF enable_input_require_grads).
  if (torch::GradMode::is_enabled() && !h.requires_grad()) h = h.detach().requires_grad_(true);
  for (size_t i = 0; i < m.layers->size(); ++i) {
    auto* layer = m.layers->ptr<model::LlamaDecoderLayerImpl>(i).get();
    const int64_t index = static_cast<int64_t>(i);
    h = checkpoint([layer, cos = cos, sin = sin, allowed, index](const torch::Tensor& x) {
      return layer->forward(x, cos, sin, allowed, nullptr, index);  // (B, T, H)
    }, h);
  }
  return m.norm->forward(h);  // (B, T, H)
}

torch::Tensor CausalLmLoss::sum(const BatchTensors& b) {
  torch::Tensor hidden_states = hidden(b);                                           // (B, T, H)
  const int64_t t = hidden_states.size(1);
  torch::Tensor logits = model_.logits(hidden_states.narrow(1, 0, t - 1));           // (B, T-1, V)
  torch::Tensor targets = b.labels.narrow(1, 1, t - 1);                              // (B, T-1)
  return cross_entropy_sum(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}), -100);  // () float32
}

}  // namespace axolotl::train
