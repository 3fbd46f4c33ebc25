// Bradley-Terry reward modelling as TRL 1.8's RewardTrainer computes it (trl/trainer/reward_trainer.py
// compute_loss) on a transformers *ForSequenceClassification model (num_labels 1): each sequence's
// reward is the score head on the hidden state of its last non-pad token (HF: the last position whose
// input id differs from config.pad_token_id), and
//   loss = −log σ(r_chosen − r_rejected), mean over pairs, + center_rewards_coefficient · mean((r_c + r_r)²).
// Batch layout as the preference objectives (objective_preference.h): 2P right-padded rows, [chosen; rejected],
// padded with `pad_id`. The step loss is Σ per-pair loss / pairs of the step (TRL: the micro-batch mean, then
// HF's 1/accumulation; equal for equal micro-batches).
// Metrics, TRL's names: min_reward / max_reward (over every reward of the micro-batch, all ranks),
// mean_reward, accuracy (r_chosen > r_rejected) and margin (r_chosen − r_rejected), the last two as the mean
// of the ranks' means (gather_for_metrics of per-rank means).
#pragma once

#include <optional>

#include "axolotl/train/objective.h"

namespace axolotl::train {

struct RewardOptions {
  int32_t pad_id = 0;                                // the collator's pad id, where pooling stops
  std::optional<double> center_rewards_coefficient;  // nullopt = no centring term
};

class RewardObjective : public Objective {
 public:
  RewardObjective(model::LlamaForCausalLMImpl& model, const RewardOptions& options, bool gradient_checkpointing);
  double step_denominator(const data::StepBatch& step) const override;  // pairs of the step
  MicroLoss micro_loss(const BatchTensors& batch, double denominator) override;
  torch::Tensor eval_sum(const BatchTensors& batch) override;  // Σ per-pair loss
  int64_t eval_weight(const data::Batch& batch) const override { return batch.samples; }
  std::vector<std::string> metric_names() const override;
  std::vector<MetricReduce> metric_reduces() const override;
  std::vector<std::string> progress_metrics() const override { return {"accuracy", "margin"}; }
  data::Batch share(const data::Batch& global, int rank, int64_t per_rank) const override;

  // (N) float32 rewards of the batch's rows, with grad when enabled.
  torch::Tensor rewards(const BatchTensors& batch);

 private:
  model::LlamaForCausalLMImpl& model_;
  RewardOptions options_;
  CausalLmLoss trunk_;  // the decoder's hidden states (with activation checkpointing when enabled)
};

}  // namespace axolotl::train
