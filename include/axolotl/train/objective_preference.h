// Preference objectives as TRL 1.8 computes them (FORMATS2.md §4.3-4.5): DPO (sigmoid), IPO
// (length-normalised), ORPO (odds ratio on mean log-probs + NLL over the whole chosen row) and SimPO
// (TRL's CPOTrainer, loss_type simpo: mean log-probs, gamma, + cpo_alpha·NLL over chosen completions).
// Batch layout (2P rows, right-padded): rows [0, P) are the chosen sequences, rows [P, 2P) the rejected
// ones of the same pairs; labels = the token id on completion tokens and -100 on prompt and padding;
// segment_ids 1 on real tokens, 0 on padding. The step loss is Σ per-pair loss / pairs of the step
// (TRL: mean per micro-batch, then HF's 1/accumulation; equal for equal micro-batches).
// DPO/IPO reference: a frozen model when given, else the policy with its LoRA adapters switched off;
// with precomputed_reference, log-probs cached before training (reference_cache.h).
#pragma once

#include <string>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/train/objective.h"
#include "axolotl/train/reference_cache.h"

namespace axolotl::train {

enum class PreferenceLoss { kDpo, kIpo, kOrpo, kSimpo };

struct PreferenceOptions {
  PreferenceLoss loss = PreferenceLoss::kDpo;
  double beta = 0.1;             // TRL beta; ORPO's lambda (orpo_alpha) travels here too
  double label_smoothing = 0.0;  // SimPO/CPO only: TRL 1.8's DPO sigmoid ignores it (FORMATS2.md §4.3)
  double simpo_gamma = 0.5;
  double cpo_alpha = 1.0;
  bool use_weighting = false;           // dpo_use_weighting (WPO): DPO/IPO pair losses times detached policy weights
  bool precomputed_reference = false;  // precompute_ref_log_probs: reference log-probs from the cache
  adapters::SavedModuleBases* saved_bases = nullptr;  // modules_to_save: their base weights in reference passes
};

// "dpo", "ipo", "orpo", "simpo" -> the loss; Error naming `rl` otherwise.
PreferenceLoss preference_loss_from_name(const std::string& rl);

// A rank's share of a global [chosen; rejected] micro-batch: pairs [rank·per_rank, (rank+1)·per_rank),
// those chosen rows then the same pairs' rejected rows, padded to their own longest sequence.
data::Batch pair_share(const data::Batch& global, int rank, int64_t per_rank);

// Error unless the batch has an even number of rows ([chosen; rejected]); `kind` names the batch in the
// message ("preference", "reward").
void check_pairs(const BatchTensors& b, const char* kind);

// Per-row numbers of one forward pass over a preference batch (N = 2P rows, T tokens).
struct SequenceScores {
  torch::Tensor full_logits;  // (N, T, V) float32
  torch::Tensor logits;       // (N, T-1, V) view: shifted logits (position t predicts token t+1)
  torch::Tensor token_logps;  // (N, T-1) log p(token) on completion targets, 0 elsewhere
  torch::Tensor mask;         // (N, T-1) bool: completion targets
  torch::Tensor logps;        // (N) Σ token_logps
  torch::Tensor tokens;       // (N) float32 completion tokens per row
};

class PreferenceObjective : public Objective {
 public:
  // `reference`: a frozen model for DPO/IPO, or nullptr to use `model` with its adapters disabled.
  PreferenceObjective(model::LlamaForCausalLMImpl& model, model::LlamaForCausalLMImpl* reference,
                      const PreferenceOptions& options, bool gradient_checkpointing);
  double step_denominator(const data::StepBatch& step) const override;  // pairs of the step
  MicroLoss micro_loss(const BatchTensors& batch, double denominator) override;
  // Σ per-pair loss (the eval count is then pairs, not tokens).
  torch::Tensor eval_sum(const BatchTensors& batch) override;
  int64_t eval_weight(const data::Batch& batch) const override { return batch.samples; }
  std::vector<std::string> metric_names() const override;
  std::vector<std::string> progress_metrics() const override { return {"rewards/accuracies", "rewards/margins"}; }
  // Pairs [rank·per_rank, (rank+1)·per_rank): those chosen rows, then the same pairs' rejected rows,
  // padded to their own longest sequence (the global micro-batch's trailing padding cut).
  data::Batch share(const data::Batch& global, int rank, int64_t per_rank) const override;

  SequenceScores scores(const BatchTensors& batch);              // policy, with grad when enabled
  torch::Tensor reference_logps(const BatchTensors& batch);     // (N) no grad (the cache when precomputed)
  bool precomputes_reference() const override { return cache_ != nullptr; }
  void cache_reference(const BatchTensors& batch) override;

 private:
  MicroLoss dpo(const BatchTensors& batch, const SequenceScores& s);
  MicroLoss odds_ratio(const BatchTensors& batch, const SequenceScores& s);
  MicroLoss simpo(const BatchTensors& batch, const SequenceScores& s);

  model::LlamaForCausalLMImpl& model_;
  model::LlamaForCausalLMImpl* reference_;
  PreferenceOptions options_;
  CausalLmLoss policy_;
  std::unique_ptr<CausalLmLoss> reference_pass_;
  std::unique_ptr<ReferenceCache> cache_;

  torch::Tensor computed_reference_logps(const BatchTensors& batch);
};

}  // namespace axolotl::train
