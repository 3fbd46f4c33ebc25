// The KTO loss and TRL's KTO metrics (see objective_kto.h). Source: TRL 1.8 trl/trainer/kto_trainer.py
// (_compute_loss, _compute_kl_logps, compute_ref_log_probs; DataCollatorForUnpairedPreference).
#include "axolotl/train/objective_kto.h"

#include <algorithm>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

double item(const torch::Tensor& t) { return t.detach().to(torch::kFloat64).item<double>(); }

// Rows [begin, begin + count) cut to their longest sequence (TRL pads each part to its own longest).
BatchTensors part(const BatchTensors& b, int64_t begin, int64_t count) {
  const auto seg = b.segment_ids.narrow(0, begin, count);
  const int64_t width = std::max<int64_t>(2, seg.ne(0).sum(1).max().item<int64_t>());
  const int64_t t = std::min(width, b.input_ids.size(1));
  auto cut = [&](const torch::Tensor& x) { return x.narrow(0, begin, count).narrow(1, 0, t); };
  return {cut(b.input_ids), cut(b.labels), cut(b.position_ids), cut(b.segment_ids), {}};
}

}  // namespace

KtoObjective::KtoObjective(model::LlamaForCausalLMImpl& model, model::LlamaForCausalLMImpl* reference,
                           const KtoOptions& options, bool gradient_checkpointing, DistributedContext* context)
    : model_(model),
      reference_(reference),
      options_(options),
      policy_(model, gradient_checkpointing, /*transformers_padding=*/true),  // logits/* read padding (TRL 1.8)
      context_(context) {
  if (reference_) reference_pass_ = std::make_unique<CausalLmLoss>(*reference_, false);
  if (options_.precomputed_reference) cache_ = std::make_unique<ReferenceCache>();
}

double KtoObjective::step_denominator(const data::StepBatch& step) const { return samples_in_step(step); }

torch::Tensor KtoObjective::logps(const BatchTensors& b, bool reference, torch::Tensor* logits_out, torch::Tensor* mask_out) {
  if (reference && cache_ && !filling_) return cache_->find(b);
  torch::Tensor full;  // (n, T, V)
  if (!reference) {
    full = model_.logits(policy_.hidden(b)).to(torch::kFloat32);
  } else if (reference_) {
    full = reference_->logits(reference_pass_->hidden(b)).to(torch::kFloat32);
  } else {
    adapters::AdaptersDisabled off(options_.saved_bases);  // TRL use_adapter(model, None): the base weights are the reference
    full = model_.logits(policy_.hidden(b)).to(torch::kFloat32);
  }
  const int64_t t = b.input_ids.size(1);
  const torch::Tensor targets = b.labels.narrow(1, 1, t - 1);                         // (n, T-1)
  const auto mask = targets.ne(-100);
  const auto safe = torch::where(mask, targets, torch::zeros_like(targets));
  const auto shift = full.narrow(1, 0, t - 1);                                        // (n, T-1, V)
  if (logits_out) *logits_out = full;
  if (mask_out) *mask_out = mask;
  return (torch::log_softmax(shift, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1) * mask).sum(1);  // (n)
}

namespace {

// The numbers TRL gathers over ranks for one micro-batch, in the order of one all-reduce.
enum KtoSum : size_t {
  kKl,             // Σ over this rank's KL rows of policy − reference log-probs (unclamped)
  kKlRows,         // this rank's KL rows
  kChosen,         // desirable examples
  kRejected,       // undesirable examples
  kChosenRewards,  // Σ β·log-ratio, desirable rows
  kRejectedRewards,
  kChosenLogps,    // Σ summed completion log-probs, desirable rows
  kRejectedLogps,
  kChosenLogits,   // Σ of every logit of the desirable rows, padding included (TRL 1.8)
  kRejectedLogits,
  kEntropy,        // Σ over completion tokens of the entropy
  kTokens,
  kSumCount
};

}  // namespace

std::vector<double> KtoObjective::gather(const std::vector<double>& local) {
  if (!context_ || !context_->distributed()) return local;
  return context_->all_reduce_sum(local);
}

void KtoObjective::skip_share() { gather(std::vector<double>(kSumCount, 0.0)); }

MicroLoss KtoObjective::micro_loss(const BatchTensors& b, double denominator) {
  const int64_t n = b.desirable.defined() ? b.desirable.size(0) : -1;
  if (n < 1 || b.input_ids.size(0) != 2 * n) {
    Diagnostic d;
    d.message = "a KTO batch holds n examples and their n KL sequences, with a label per example";
    d.found = std::to_string(b.input_ids.size(0)) + " rows, " + (n < 0 ? "no labels" : std::to_string(n) + " labels");
    d.expected = "2n rows and n labels (data::BatchOptions::kto_rows)";
    throw Error(d);
  }
  const BatchTensors main = part(b, 0, n), kl_rows = part(b, n, n);
  torch::Tensor logits, mask;
  const torch::Tensor policy = logps(main, false, &logits, &mask);                     // (n)
  torch::Tensor local_kl, ref;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor kl_policy = logps(kl_rows, false, nullptr, nullptr);
    const torch::Tensor kl_ref = logps(kl_rows, true, nullptr, nullptr);
    ref = logps(main, true, nullptr, nullptr);
    local_kl = (kl_policy - kl_ref).sum();                                             // () unclamped
  }
  const double beta = options_.beta;
  const auto chosen = b.desirable.to(policy.device());
  const auto chosen_idx = torch::nonzero(chosen).view(-1), rejected_idx = torch::nonzero(chosen.logical_not()).view(-1);
  const auto ratios = policy - ref;                                                    // (n)
  const auto chosen_lr = ratios.index_select(0, chosen_idx), rejected_lr = ratios.index_select(0, rejected_idx);
  // This rank's numbers, summed over ranks in one collective before the loss needs the KL estimate.
  std::vector<double> sums(kSumCount, 0.0);
  {
    torch::NoGradGuard no_grad;
    const int64_t t = main.input_ids.size(1);
    const auto shift = logits.narrow(1, 0, t - 1).detach();                            // (n, T-1, V)
    const auto lp = torch::log_softmax(shift, -1);
    const auto entropy = -(lp.exp() * lp).sum(-1);                                     // (n, T-1)
    const auto m = mask.to(torch::kFloat32);                                           // completion targets
    const auto all_logits = logits.detach().sum({1, 2}, false, torch::kFloat64);       // (n) over (T, V)
    const auto detached = policy.detach();
    sums[kKl] = item(local_kl);
    sums[kKlRows] = static_cast<double>(n);
    sums[kChosen] = static_cast<double>(chosen_idx.size(0));
    sums[kRejected] = static_cast<double>(rejected_idx.size(0));
    sums[kChosenRewards] = item(beta * chosen_lr.detach().sum());
    sums[kRejectedRewards] = item(beta * rejected_lr.detach().sum());
    sums[kChosenLogps] = item(detached.index_select(0, chosen_idx).sum());
    sums[kRejectedLogps] = item(detached.index_select(0, rejected_idx).sum());
    sums[kChosenLogits] = item(all_logits.index_select(0, chosen_idx).sum());
    sums[kRejectedLogits] = item(all_logits.index_select(0, rejected_idx).sum());
    sums[kEntropy] = item((entropy * m).sum());
    sums[kTokens] = item(m.sum());
  }
  sums = gather(sums);
  // The mean over every KL row of the global micro-batch: TRL's mean of the ranks' means when the shares
  // are equal, and one process's estimate when the last micro-batch splits unevenly (objective_kto.h).
  const double kl = std::max(0.0, sums[kKl] / std::max(1.0, sums[kKlRows]));  // detached: a number, not a tensor
  const auto losses = torch::cat({options_.desirable_weight * (1 - torch::sigmoid(beta * (chosen_lr - kl))),
                                  options_.undesirable_weight * (1 - torch::sigmoid(beta * (kl - rejected_lr)))});
  MicroLoss out;
  out.loss = losses.mean() * (static_cast<double>(n) / denominator);
  // Every rank reports the gathered values (weight 1): the loop's sum over ranks then averages equal numbers.
  auto ratio = [&](size_t num, size_t den) { return sums[num] / sums[den]; };
  out.metrics.push_back({"kl", kl, 1.0});
  if (sums[kTokens] > 0) out.metrics.push_back({"entropy", ratio(kEntropy, kTokens), 1.0});
  if (sums[kChosen] > 0) {
    out.metrics.push_back({"rewards/chosen", ratio(kChosenRewards, kChosen), 1.0});
    out.metrics.push_back({"logps/chosen", ratio(kChosenLogps, kChosen), 1.0});
    out.metrics.push_back({"logits/chosen", ratio(kChosenLogits, kChosen), 1.0});
  }
  if (sums[kRejected] > 0) {
    out.metrics.push_back({"rewards/rejected", ratio(kRejectedRewards, kRejected), 1.0});
    out.metrics.push_back({"logps/rejected", ratio(kRejectedLogps, kRejected), 1.0});
    out.metrics.push_back({"logits/rejected", ratio(kRejectedLogits, kRejected), 1.0});
  }
  if (sums[kChosen] > 0 && sums[kRejected] > 0)
    out.metrics.push_back({"rewards/margins", ratio(kChosenRewards, kChosen) - ratio(kRejectedRewards, kRejected), 1.0});
  return out;
}

void KtoObjective::cache_reference(const BatchTensors& b) {
  if (!cache_ || !b.desirable.defined()) return;
  torch::NoGradGuard no_grad;
  const int64_t n = b.desirable.size(0);
  filling_ = true;
  for (const BatchTensors& rows : {part(b, 0, n), part(b, n, n)}) cache_->store(rows, logps(rows, true, nullptr, nullptr));
  filling_ = false;
}

torch::Tensor KtoObjective::eval_sum(const BatchTensors& b) {
  torch::NoGradGuard no_grad;
  return micro_loss(b, 1.0).loss;
}

std::vector<std::string> KtoObjective::metric_names() const {
  return {"kl", "entropy", "rewards/chosen", "logps/chosen", "logits/chosen", "rewards/rejected", "logps/rejected",
          "logits/rejected", "rewards/margins"};
}

data::Batch KtoObjective::share(const data::Batch& global, int rank, int64_t per_rank) const {
  const int64_t n = global.samples;
  const int64_t begin = std::min(n, rank * per_rank), end = std::min(n, (rank + 1) * per_rank);
  data::Batch mine = slice_rows(global, begin, end);
  const data::Batch kl = slice_rows(global, n + begin, n + end);
  auto append = [](std::vector<int32_t>& to, const std::vector<int32_t>& from) { to.insert(to.end(), from.begin(), from.end()); };
  append(mine.input_ids, kl.input_ids);
  append(mine.labels, kl.labels);
  append(mine.position_ids, kl.position_ids);
  append(mine.segment_ids, kl.segment_ids);
  mine.rows += kl.rows;
  mine.samples = end - begin;
  mine.desirable.assign(global.desirable.begin() + begin, global.desirable.begin() + end);
  return mine;
}

}  // namespace axolotl::train
