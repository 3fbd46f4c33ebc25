// The training objective: summed next-token cross-entropy over trained tokens (labels != -100), in
// float32 whatever the model dtype. Labels are aligned with input_ids and shifted here (HF
// LlamaForCausalLM: logits[:, :-1] predict labels[:, 1:]). The caller divides by the trained tokens
// of the whole optimizer step (data/batch_loader.h), so accumulation splits do not change the loss.
// With gradient checkpointing each decoder layer is recomputed in backward (activation_checkpoint.h).
#pragma once

#include <torch/torch.h>

#include "axolotl/data/batch_loader.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/train/cross_entropy.h"

namespace axolotl::train {

struct BatchTensors {
  torch::Tensor input_ids;     // (B, T) int64
  torch::Tensor labels;        // (B, T) int64, -100 = not trained
  torch::Tensor position_ids;  // (B, T) int64
  torch::Tensor segment_ids;   // (B, T) int64, 0 = padding
  torch::Tensor desirable;     // (n) bool, KTO batches only (data::Batch::desirable); undefined otherwise
};

BatchTensors to_tensors(const data::Batch& batch, const torch::Device& device);

class CausalLmLoss {
 public:
  // transformers_padding: padding positions computed as transformers computes them for a right-padded
  // batch given only its attention_mask (ForwardArgs::padding_sees_tokens, positions counting on
  // through the padding), for objectives whose metrics read padding positions (TRL's ORPO, CPO).
  CausalLmLoss(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing, bool transformers_padding = false);
  // EAFT (use_eaft): every token's CE weighted by its top-k entropy (cross_entropy.h).
  void set_entropy_weighting(const std::optional<EntropyWeighting>& eaft) { eaft_ = eaft; }

  // -> scalar float32: Σ CE (EAFT-weighted when set) over the batch's trained tokens.
  torch::Tensor sum(const BatchTensors& batch);
  // Final hidden states (B, T, H) by the same steps as LlamaModelImpl::forward, one decoder layer per
  // checkpoint when enabled (also used to test that it matches the model's own forward).
  torch::Tensor hidden(const BatchTensors& batch);

 private:
  model::LlamaForCausalLMImpl& model_;
  bool checkpointing_;
  bool transformers_padding_;
  std::optional<EntropyWeighting> eaft_;
};

}  // namespace axolotl::train
