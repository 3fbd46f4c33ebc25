// Process reward models as TRL 1.8's PRMTrainer trains them (trl/experimental/prm; its loss is the HF
// Trainer's on a transformers *ForTokenClassification model, GenericForTokenClassification.forward and
// ForTokenClassification): every token's scores are the head on its own hidden state (no shift; no
// dropout: PRMConfig.disable_dropout), and
//   loss = Σ cross-entropy(scores, label) over the tokens whose label is not -100
//          / those tokens of the whole optimizer step (HF num_items_in_batch, over accumulation and ranks).
// Labels are class ids on each step's last token (data/row_encoder.h stepwise_supervised).
// Metrics: accuracy (argmax = label over the labelled tokens) in evaluation only, pooled over the whole
// evaluation as TRL's compute_accuracy does; training logs the loss alone, as TRL does.
#pragma once

#include "axolotl/train/objective.h"

namespace axolotl::train {

class ProcessRewardObjective : public Objective {
 public:
  ProcessRewardObjective(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing);
  double step_denominator(const data::StepBatch& step) const override;  // labelled tokens of the step
  MicroLoss micro_loss(const BatchTensors& batch, double denominator) override;
  torch::Tensor eval_sum(const BatchTensors& batch) override;  // Σ CE over the labelled tokens
  std::vector<std::string> metric_names() const override { return {"accuracy"}; }
  std::vector<MetricReduce> metric_reduces() const override { return {MetricReduce::kPooled}; }

  // (B, T, num_labels) float32 scores of every token, with grad when enabled.
  torch::Tensor scores(const BatchTensors& batch);

 private:
  model::LlamaForCausalLMImpl& model_;
  CausalLmLoss trunk_;  // the decoder's hidden states (with activation checkpointing when enabled)
};

}  // namespace axolotl::train
