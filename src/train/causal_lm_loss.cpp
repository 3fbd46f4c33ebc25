// Summed causal-LM cross-entropy, with optional per-layer activation checkpointing.
#include "axolotl/train/causal_lm_loss.h"

#include "axolotl/train/activation_checkpoint.h"
#include "axolotl/train/cross_entropy.h"

namespace axolotl::train {

BatchTensors to_tensors(const data::Batch& b, const torch::Device& device) {
  auto make = [&](const std::vector<int32_t>& v) {
    return torch::from_blob(const_cast<int32_t*>(v.data()), {b.rows, b.seq_len}, torch::kInt32)
        .to(device, torch::kInt64);  // (B, T) copy
  };
  BatchTensors t{make(b.input_ids), make(b.labels), make(b.position_ids), make(b.segment_ids), {}};
  if (!b.desirable.empty())
    t.desirable = torch::tensor(std::vector<int64_t>(b.desirable.begin(), b.desirable.end())).ne(0).to(device);
  return t;
}

CausalLmLoss::CausalLmLoss(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing, bool transformers_padding)
    : model_(model), checkpointing_(gradient_checkpointing), transformers_padding_(transformers_padding) {}

torch::Tensor CausalLmLoss::hidden(const BatchTensors& b) {
  model::ForwardArgs args;
  args.position_ids = b.position_ids;
  args.segment_ids = b.segment_ids;
  if (transformers_padding_) {
    // No position_ids given to transformers: padding takes its column index, as arange(T) does.
    const auto columns = torch::arange(b.input_ids.size(1), b.position_ids.options()).expand_as(b.position_ids);
    args.position_ids = torch::where(b.segment_ids.eq(0), columns, b.position_ids);  // (B, T)
    args.padding_sees_tokens = true;
  }
  if (checkpointing_) {
    args.wrap_layer = [](const std::function<torch::Tensor(const torch::Tensor&)>& layer, const torch::Tensor& x) {
      // The recompute needs a graph input that requires grad (HF enable_input_require_grads).
      auto in = torch::GradMode::is_enabled() && !x.requires_grad() ? x.detach().requires_grad_(true) : x;
      return checkpoint(layer, in);  // (B, T, H)
    };
  }
  return model_.model->forward(b.input_ids, args);  // (B, T, H)
}

torch::Tensor CausalLmLoss::sum(const BatchTensors& b) {
  torch::Tensor hidden_states = hidden(b);                                           // (B, T, H)
  const int64_t t = hidden_states.size(1);
  torch::Tensor logits = model_.logits(hidden_states.narrow(1, 0, t - 1));           // (B, T-1, V)
  torch::Tensor targets = b.labels.narrow(1, 1, t - 1);                              // (B, T-1)
  return cross_entropy_sum(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}), -100, eaft_);  // () float32
}

}  // namespace axolotl::train
