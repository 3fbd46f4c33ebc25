// What the training loop minimises. The loop owns batching, accumulation, clipping, schedules, eval,
// checkpoints and DDP; an objective turns one micro-batch into its share of the step loss plus named
// metrics (TRL's names). Peers: SftObjective (causal-LM cross-entropy), PreferenceObjective
// (objective_preference.h: DPO, IPO, ORPO, SimPO), KtoObjective and RewardObjective (objective_reward.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "axolotl/data/batch_loader.h"
#include "axolotl/train/causal_lm_loss.h"
#include "axolotl/train/trainer_shard.h"

namespace axolotl::train {

// A metric of one micro-batch as value = sum / weight, so that ranks combine by summing both (TRL
// gathers across ranks: pair metrics weigh by pairs, token metrics by tokens, per-rank means by 1).
struct Metric {
  std::string name;
  double sum = 0.0;
  double weight = 1.0;
};
using Metrics = std::vector<Metric>;
// How ranks combine a metric: the weighted mean above, or the min / max of their values (sum / weight).
// kPooled combines like kMean, but over a logging window or an evaluation it is Σ sum / Σ weight of all
// its batches (TRL's compute_metrics over the whole eval set) instead of the mean of the batches' values.
enum class MetricReduce { kMean, kMin, kMax, kPooled };

struct MicroLoss {
  torch::Tensor loss;  // () float32, with grad: Σ over a step's micro-batches is the step loss
  Metrics metrics;     // this micro-batch's values; the loop logs their mean over the logging window
};

class Objective {
 public:
  virtual ~Objective() = default;
  // The step's loss denominator, known to every rank from the global step (SFT: trained tokens).
  virtual double step_denominator(const data::StepBatch& step) const = 0;
  // `batch` is this rank's share of one micro-batch; its loss is divided by `denominator`.
  virtual MicroLoss micro_loss(const BatchTensors& batch, double denominator) = 0;
  // () float32 without grad: Σ evaluation loss of the batch, to be divided by the eval token count.
  virtual torch::Tensor eval_sum(const BatchTensors& batch) = 0;
  // What eval_sum is divided by, summed over batches (SFT: trained tokens; preference: pairs).
  virtual int64_t eval_weight(const data::Batch& batch) const { return batch.trained_tokens; }
  // Every metric micro_loss may report, in a fixed order (the ranks' all-reduce layout).
  virtual std::vector<std::string> metric_names() const { return {}; }
  // Parallel to metric_names(); empty = every metric a weighted mean.
  virtual std::vector<MetricReduce> metric_reduces() const { return {}; }
  // The few of them the progress line shows after the loss.
  virtual std::vector<std::string> progress_metrics() const { return {}; }
  // precompute_ref_log_probs: whether the objective reads reference log-probs from its cache, and
  // the pass that fills it from one batch (run over every batch before training).
  virtual bool precomputes_reference() const { return false; }
  virtual void cache_reference(const BatchTensors& /*batch*/) {}
  // Called instead of micro_loss on a rank whose share of a micro-batch is empty (the short last
  // batch of an epoch), so that an objective's collectives inside micro_loss stay matched across ranks.
  virtual void skip_share() {}
  // This rank's share of a global micro-batch of per_rank × world samples (trainer_shard.h).
  virtual data::Batch share(const data::Batch& global, int rank, int64_t per_rank) const {
    return rank_share(global, rank, per_rank);
  }
};

// Supervised fine-tuning: Σ next-token CE over trained tokens / trained tokens of the whole step.
// Step denominators shared by the objectives (each at least 1): the step's trained tokens (token-level
// losses) and its samples (pairs or examples: sequence-level losses).
double trained_tokens_in_step(const data::StepBatch& step);
double samples_in_step(const data::StepBatch& step);

class SftObjective : public Objective {
 public:
  // eaft: Axolotl's use_eaft, for training and evaluation alike (its compute_loss_func serves both).
  SftObjective(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing,
               const std::optional<EntropyWeighting>& eaft = std::nullopt);
  double step_denominator(const data::StepBatch& step) const override;
  MicroLoss micro_loss(const BatchTensors& batch, double denominator) override;
  torch::Tensor eval_sum(const BatchTensors& batch) override;

 private:
  CausalLmLoss loss_;
};

}  // namespace axolotl::train
