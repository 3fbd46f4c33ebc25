// KTO as TRL 1.8's KTOTrainer computes it (trl/trainer/kto_trainer.py _compute_loss, loss_type "kto"):
// summed completion log-probs of policy and reference; the KL estimate z = max(0, mean over the batch of
// policy − reference log-probs of the mismatched KL sequences), detached; desirable rows lose
// 1 − σ(β(r − z)), undesirable rows 1 − σ(β(z − r)) with r = policy − reference log-ratio, weighted by
// kto_desirable_weight / kto_undesirable_weight; the micro-batch loss is their mean.
// Several ranks: z is the mean over every KL row of the global micro-batch (each rank sends its sum
// and row count), then clamped; with equal shares that is TRL's accelerator.gather_for_metrics(kl)
// .mean().clamp(min=0), the mean of the ranks' means. The short last micro-batch of an epoch may split
// unevenly or leave a rank nothing: Accelerate's even_batches would fill those shares with examples
// from the start of the epoch (trained twice); here no row is repeated and the estimate is one
// process's over the rows there are. The metrics are TRL's gathered values (sums and counts over
// ranks), all in one all-reduce per micro-batch; a rank with an empty share joins it through
// skip_share() with zeros.
// logits/chosen, logits/rejected as TRL 1.8 (which Axolotl pins) logs them: the sum of every logit of
// the desirable (undesirable) rows, each rank's rows padded to its longest and padding positions
// computed as transformers does (CausalLmLoss transformers_padding), over the number of those rows. The
// value grows with the padded width and the vocabulary; TRL 1.9 changed it to the vocabulary mean over
// completion tokens (trl#6424).
// Batch layout (data::BatchOptions::kto_rows): rows [0, n) the examples, rows [n, 2n) their KL
// sequences; BatchTensors::desirable (n) the labels. The step loss is Σ per-example loss / examples of
// the step (TRL: mean per micro-batch, then 1/accumulation; equal for equal micro-batches).
// Reference: a frozen model when given, else the policy with its LoRA adapters switched off.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/objective.h"
#include "axolotl/train/reference_cache.h"

namespace axolotl::train {

struct KtoOptions {
  double beta = 0.1;
  double desirable_weight = 1.0;
  double undesirable_weight = 1.0;
  bool precomputed_reference = false;  // precompute_ref_log_probs (reference_cache.h)
  adapters::SavedModuleBases* saved_bases = nullptr;  // modules_to_save: their base weights in reference passes
};

class KtoObjective : public Objective {
 public:
  // `context`: the ranks' process group when training on several (nullptr or one rank: no collective).
  KtoObjective(model::LlamaForCausalLMImpl& model, model::LlamaForCausalLMImpl* reference, const KtoOptions& options,
               bool gradient_checkpointing, DistributedContext* context = nullptr);
  double step_denominator(const data::StepBatch& step) const override;  // examples of the step
  MicroLoss micro_loss(const BatchTensors& batch, double denominator) override;
  torch::Tensor eval_sum(const BatchTensors& batch) override;  // Σ per-example loss
  int64_t eval_weight(const data::Batch& batch) const override { return batch.samples; }
  // TRL's names: kl, entropy, rewards/*, logps/*, logits/* (chosen = desirable rows), rewards/margins.
  std::vector<std::string> metric_names() const override;
  std::vector<std::string> progress_metrics() const override { return {"kl", "rewards/margins"}; }
  bool precomputes_reference() const override { return cache_ != nullptr; }
  void cache_reference(const BatchTensors& batch) override;  // the examples' and the KL rows' log-probs
  void skip_share() override;  // joins the micro-batch's all-reduce with zeros
  // Examples [rank·per_rank, (rank+1)·per_rank) and their KL rows (the loader rotates within groups of
  // per_rank examples, so a rank's KL rows come from its own examples).
  data::Batch share(const data::Batch& global, int rank, int64_t per_rank) const override;

 private:
  // (n) summed completion log-probs of `rows`; `logits` receives the policy logits when not null.
  torch::Tensor logps(const BatchTensors& rows, bool reference, torch::Tensor* logits, torch::Tensor* mask);

  // Σ over ranks of this rank's numbers (as they are on one rank).
  std::vector<double> gather(const std::vector<double>& local);

  model::LlamaForCausalLMImpl& model_;
  model::LlamaForCausalLMImpl* reference_;
  KtoOptions options_;
  CausalLmLoss policy_;
  std::unique_ptr<CausalLmLoss> reference_pass_;
  std::unique_ptr<ReferenceCache> cache_;
  bool filling_ = false;
  DistributedContext* context_ = nullptr;
};

}  // namespace axolotl::train
