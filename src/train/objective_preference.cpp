// DPO, IPO, ORPO and SimPO losses and metrics (see objective_preference.h). Formulas: TRL 1.8
// trl/trainer/dpo_trainer.py (_compute_loss, use_weighting), trl/experimental/orpo/orpo_trainer.py (odds_ratio_loss,
// concatenated_forward), trl/experimental/cpo/cpo_trainer.py (cpo_loss, loss_type "simpo").
#include "axolotl/train/objective_preference.h"

#include <algorithm>
#include <cmath>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

namespace F = torch::nn::functional;

double item(const torch::Tensor& t) { return t.detach().to(torch::kFloat64).item<double>(); }

// log(1 − e^x) for x < 0, branching at −ln 2 (TRL orpo_trainer.py log1mexp).
torch::Tensor log1mexp(const torch::Tensor& x) {
  return torch::where(x < -0.6931471805599453, torch::log1p(-torch::exp(x)), torch::log(-torch::expm1(x)));
}

// Mean next-token CE over the targets of `rows` where `valid` (nn.CrossEntropyLoss, mean reduction).
torch::Tensor mean_nll(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& valid) {
  const auto safe = torch::where(valid, targets, torch::zeros_like(targets));                      // (n, T-1)
  const auto nll = -torch::log_softmax(logits, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1);    // (n, T-1)
  return (nll * valid).sum() / valid.sum().clamp_min(1);                                           // ()
}

// WPO eq. 2 as TRL 1.8 _compute_loss (use_weighting) computes it: per completion token
// log p(token) − log Σ_v p(v)², its mean over the row's completion, exp, and chosen × rejected per pair.
// Detached and not clamped. (P)
torch::Tensor wpo_weights(const SequenceScores& s) {
  torch::NoGradGuard no_grad;
  const auto logits = s.logits.detach();                                                          // (N, T-1, V)
  const auto log_denom = torch::logsumexp(2.0 * logits, -1) - 2.0 * torch::logsumexp(logits, -1);  // (N, T-1)
  const auto aligned = (s.token_logps.detach() - log_denom) * s.mask;                              // (N, T-1)
  const auto weights = torch::exp(aligned.sum(1) / s.tokens.clamp_min(1.0));                       // (N)
  const int64_t p = weights.size(0) / 2;
  return weights.narrow(0, 0, p) * weights.narrow(0, p, p);
}

}  // namespace

void check_pairs(const BatchTensors& b, const char* kind) {
  if (b.input_ids.size(0) % 2 != 0) {
    Diagnostic d;
    d.message = std::string("a ") + kind + " batch holds chosen and rejected rows of the same pairs";
    d.found = std::to_string(b.input_ids.size(0)) + " rows";
    d.expected = "an even number of rows: [chosen; rejected]";
    throw Error(d);
  }
}

PreferenceLoss preference_loss_from_name(const std::string& rl) {
  if (rl == "dpo") return PreferenceLoss::kDpo;
  if (rl == "ipo") return PreferenceLoss::kIpo;
  if (rl == "orpo") return PreferenceLoss::kOrpo;
  if (rl == "simpo") return PreferenceLoss::kSimpo;
  Diagnostic d;
  d.key = "rl";
  d.message = "unsupported preference method";
  d.found = rl;
  d.expected = "dpo, ipo, orpo or simpo (kto: objective_kto.h)";
  throw Error(d);
}

PreferenceObjective::PreferenceObjective(model::LlamaForCausalLMImpl& model, model::LlamaForCausalLMImpl* reference,
                                         const PreferenceOptions& options, bool gradient_checkpointing)
    : model_(model),
      reference_(reference),
      options_(options),
      // ORPO's and CPO's logits/* average every position, padding included: computed as transformers does.
      policy_(model, gradient_checkpointing,
              options.loss == PreferenceLoss::kOrpo || options.loss == PreferenceLoss::kSimpo) {
  if (reference_) reference_pass_ = std::make_unique<CausalLmLoss>(*reference_, false);
  if (options_.precomputed_reference) cache_ = std::make_unique<ReferenceCache>();
}

double PreferenceObjective::step_denominator(const data::StepBatch& step) const { return samples_in_step(step); }

SequenceScores PreferenceObjective::scores(const BatchTensors& b) {
  check_pairs(b, "preference");
  SequenceScores s;
  const torch::Tensor hidden = policy_.hidden(b);                                      // (N, T, H)
  const int64_t t = hidden.size(1);
  s.full_logits = model_.logits(hidden).to(torch::kFloat32);                           // (N, T, V)
  s.logits = s.full_logits.narrow(1, 0, t - 1);                                        // (N, T-1, V)
  const torch::Tensor targets = b.labels.narrow(1, 1, t - 1);                          // (N, T-1)
  s.mask = targets.ne(-100);
  const auto safe = torch::where(s.mask, targets, torch::zeros_like(targets));
  s.token_logps = torch::log_softmax(s.logits, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1) * s.mask;  // (N, T-1)
  s.logps = s.token_logps.sum(1);                                                      // (N)
  s.tokens = s.mask.sum(1).to(torch::kFloat32);                                        // (N)
  return s;
}

torch::Tensor PreferenceObjective::reference_logps(const BatchTensors& b) {
  return cache_ ? cache_->find(b) : computed_reference_logps(b);
}

void PreferenceObjective::cache_reference(const BatchTensors& b) {
  if (cache_ && (options_.loss == PreferenceLoss::kDpo || options_.loss == PreferenceLoss::kIpo))
    cache_->store(b, computed_reference_logps(b));
}

torch::Tensor PreferenceObjective::computed_reference_logps(const BatchTensors& b) {
  torch::NoGradGuard no_grad;
  torch::Tensor full;  // (N, T, V), by the same steps as scores() so that equal weights give equal bits
  const int64_t t = b.input_ids.size(1);
  if (reference_) {
    full = reference_->logits(reference_pass_->hidden(b)).to(torch::kFloat32);
  } else {
    adapters::AdaptersDisabled off(options_.saved_bases);  // TRL use_adapter(model, None): the base weights are the reference
    full = model_.logits(policy_.hidden(b)).to(torch::kFloat32);
  }
  const torch::Tensor logits = full.narrow(1, 0, t - 1);                              // (N, T-1, V)
  const torch::Tensor targets = b.labels.narrow(1, 1, t - 1);
  const auto mask = targets.ne(-100);
  const auto safe = torch::where(mask, targets, torch::zeros_like(targets));
  return (torch::log_softmax(logits, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1) * mask).sum(1);  // (N)
}

MicroLoss PreferenceObjective::dpo(const BatchTensors& b, const SequenceScores& s) {
  const int64_t p = s.logps.size(0) / 2;
  const torch::Tensor ref = reference_logps(b);
  const auto chosen_logratios = s.logps.narrow(0, 0, p) - ref.narrow(0, 0, p);         // (P)
  const auto rejected_logratios = s.logps.narrow(0, p, p) - ref.narrow(0, p, p);       // (P)
  const double beta = options_.beta;
  torch::Tensor per_pair;
  if (options_.loss == PreferenceLoss::kIpo) {
    // IPO eq. 17 with each log-ratio averaged over its completion tokens (TRL's length normalisation).
    const auto delta = chosen_logratios / s.tokens.narrow(0, 0, p).clamp_min(1.0) -
                       rejected_logratios / s.tokens.narrow(0, p, p).clamp_min(1.0);
    per_pair = (delta - 1.0 / (2.0 * beta)).pow(2);
  } else {
    per_pair = -F::logsigmoid(beta * (chosen_logratios - rejected_logratios));         // DPO sigmoid
  }
  if (options_.use_weighting) per_pair = per_pair * wpo_weights(s);
  MicroLoss out;
  out.loss = per_pair.mean();
  torch::NoGradGuard no_grad;
  const auto chosen_rewards = beta * chosen_logratios.detach();
  const auto rejected_rewards = beta * rejected_logratios.detach();
  const auto shift = s.logits.detach();
  // Entropy over completion tokens (TRL entropy_from_logits), token-weighted.
  const auto logp = torch::log_softmax(shift, -1);
  const auto entropy = -(logp.exp() * logp).sum(-1);                                   // (N, T-1)
  const auto mask = s.mask.to(torch::kFloat32);
  const auto chosen_mask = s.mask.narrow(0, 0, p);
  const auto rejected_mask = s.mask.narrow(0, p, p);
  const auto mean_logits = shift.mean(-1);                                             // (N, T-1)
  const torch::Tensor targets = b.labels.narrow(1, 1, b.labels.size(1) - 1).narrow(0, 0, p);
  const auto correct = shift.narrow(0, 0, p).argmax(-1).eq(targets).logical_and(chosen_mask);
  // TRL gathers token sums and counts (entropy, accuracy, logits) and every pair's rewards and logps.
  const double pairs = static_cast<double>(p);
  out.metrics = {
      {"entropy", item((entropy * mask).sum()), item(mask.sum())},
      {"mean_token_accuracy", item(correct.sum()), item(chosen_mask.sum())},
      {"logits/chosen", item(mean_logits.narrow(0, 0, p).masked_select(chosen_mask).sum()), item(chosen_mask.sum())},
      {"logits/rejected", item(mean_logits.narrow(0, p, p).masked_select(rejected_mask).sum()), item(rejected_mask.sum())},
      {"rewards/chosen", item(chosen_rewards.sum()), pairs},
      {"rewards/rejected", item(rejected_rewards.sum()), pairs},
      {"rewards/accuracies", item((chosen_rewards > rejected_rewards).to(torch::kFloat32).sum()), pairs},
      {"rewards/margins", item((chosen_rewards - rejected_rewards).sum()), pairs},
      {"logps/chosen", item(s.logps.narrow(0, 0, p).sum()), pairs},
      {"logps/rejected", item(s.logps.narrow(0, p, p).sum()), pairs},
  };
  return out;
}

MicroLoss PreferenceObjective::odds_ratio(const BatchTensors& b, const SequenceScores& s) {
  const int64_t p = s.logps.size(0) / 2;
  const auto mean_logps = s.logps / s.tokens;                                           // (N) average_log_prob
  const auto lc = mean_logps.narrow(0, 0, p), lr = mean_logps.narrow(0, p, p);
  // "the NLL is computed over the full prompt and response": every non-padding target of the chosen rows.
  const int64_t t = b.input_ids.size(1);
  const auto valid = b.segment_ids.narrow(1, 1, t - 1).narrow(0, 0, p).ne(0);
  const auto nll = mean_nll(s.logits.narrow(0, 0, p), b.input_ids.narrow(1, 1, t - 1).narrow(0, 0, p), valid);
  const auto log_odds = (lc - lr) - (log1mexp(lc) - log1mexp(lr));                     // (P)
  const auto ratio = F::logsigmoid(log_odds);
  const double beta = options_.beta;
  MicroLoss out;
  out.loss = nll - (beta * ratio).mean();
  torch::NoGradGuard no_grad;
  const auto chosen_rewards = beta * lc.detach(), rejected_rewards = beta * lr.detach();
  // Pair metrics gathered per pair; the per-micro-batch means weigh by this share's pairs, so that an
  // uneven split of the last micro-batch over ranks averages rows, as gather_for_metrics of rows does.
  const double pairs = static_cast<double>(p);
  out.metrics = {
      {"rewards/chosen", item(chosen_rewards.sum()), pairs},
      {"rewards/rejected", item(rejected_rewards.sum()), pairs},
      {"rewards/accuracies", item((chosen_rewards > rejected_rewards).to(torch::kFloat32).sum()), pairs},
      {"rewards/margins", item((chosen_rewards - rejected_rewards).sum()), pairs},
      {"logps/rejected", item(lr.sum()), pairs},
      {"logps/chosen", item(lc.sum()), pairs},
      {"logits/rejected", pairs * item(s.logits.narrow(0, p, p).mean()), pairs},  // every position, padding included (TRL)
      {"logits/chosen", pairs * item(s.logits.narrow(0, 0, p).mean()), pairs},
      {"nll_loss", pairs * item(nll), pairs},
      {"log_odds_ratio", pairs * item(ratio.mean()), pairs},
      {"log_odds_chosen", pairs * item(log_odds.mean()), pairs},
  };
  return out;
}

MicroLoss PreferenceObjective::simpo(const BatchTensors& b, const SequenceScores& s) {
  const int64_t p = s.logps.size(0) / 2;
  const auto mean_logps = s.logps / s.tokens;                                           // (N)
  const auto lc = mean_logps.narrow(0, 0, p), lr = mean_logps.narrow(0, p, p);
  const double beta = options_.beta, eps = options_.label_smoothing;
  const auto logits = (lc - lr) - options_.simpo_gamma / beta;                         // (P)
  const auto losses = -F::logsigmoid(beta * logits) * (1 - eps) - F::logsigmoid(-beta * logits) * eps;
  // CPO's NLL runs over the chosen completion labels only.
  const int64_t t = b.input_ids.size(1);
  torch::Tensor nll = torch::zeros({}, s.logps.options());
  if (options_.cpo_alpha != 0.0)
    nll = mean_nll(s.logits.narrow(0, 0, p), b.labels.narrow(1, 1, t - 1).narrow(0, 0, p), s.mask.narrow(0, 0, p));
  MicroLoss out;
  out.loss = losses.mean() + options_.cpo_alpha * nll;
  torch::NoGradGuard no_grad;
  const auto chosen_rewards = beta * lc.detach(), rejected_rewards = beta * lr.detach();
  // TRL's CPO logs the mean of the unshifted logits (P, T, V), padding included.
  // Its per-micro-batch means (logits, NLL) weigh by pairs, as in odds_ratio().
  const double pairs = static_cast<double>(p);
  auto full_mean = [&](int64_t from) { return pairs * item(s.full_logits.narrow(0, from, p).mean()); };
  out.metrics = {
      {"rewards/chosen", item(chosen_rewards.sum()), pairs},
      {"rewards/rejected", item(rejected_rewards.sum()), pairs},
      {"rewards/accuracies", item((chosen_rewards > rejected_rewards).to(torch::kFloat32).sum()), pairs},
      {"rewards/margins", item((chosen_rewards - rejected_rewards).sum()), pairs},
      {"logps/rejected", item(lr.sum()), pairs},
      {"logps/chosen", item(lc.sum()), pairs},
      {"logits/rejected", full_mean(p), pairs},
      {"logits/chosen", full_mean(0), pairs},
      {"nll_loss", pairs * item(nll), pairs},
  };
  return out;
}

MicroLoss PreferenceObjective::micro_loss(const BatchTensors& b, double denominator) {
  const SequenceScores s = scores(b);
  MicroLoss out;
  switch (options_.loss) {
    case PreferenceLoss::kDpo:
    case PreferenceLoss::kIpo: out = dpo(b, s); break;
    case PreferenceLoss::kOrpo: out = odds_ratio(b, s); break;
    case PreferenceLoss::kSimpo: out = simpo(b, s); break;
  }
  // The micro-batch's mean over its pairs, weighted by its share of the step's pairs.
  const double pairs = static_cast<double>(b.input_ids.size(0) / 2);
  out.loss = out.loss * (pairs / denominator);
  return out;
}

torch::Tensor PreferenceObjective::eval_sum(const BatchTensors& b) {
  torch::NoGradGuard no_grad;
  return micro_loss(b, 1.0).loss;
}

std::vector<std::string> PreferenceObjective::metric_names() const {
  switch (options_.loss) {
    case PreferenceLoss::kDpo:
    case PreferenceLoss::kIpo:
      return {"entropy", "mean_token_accuracy", "logits/chosen", "logits/rejected", "rewards/chosen", "rewards/rejected",
              "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"};
    case PreferenceLoss::kOrpo:
      return {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/rejected",
              "logps/chosen", "logits/rejected", "logits/chosen", "nll_loss", "log_odds_ratio", "log_odds_chosen"};
    case PreferenceLoss::kSimpo:
      return {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/rejected",
              "logps/chosen", "logits/rejected", "logits/chosen", "nll_loss"};
  }
  return {};
}

data::Batch PreferenceObjective::share(const data::Batch& global, int rank, int64_t per_rank) const {
  return pair_share(global, rank, per_rank);
}

data::Batch pair_share(const data::Batch& global, int rank, int64_t per_rank) {
  const int64_t p = global.rows / 2;
  const int64_t begin = std::min(p, rank * per_rank), end = std::min(p, (rank + 1) * per_rank);
  data::Batch chosen = slice_rows(global, begin, end);
  const data::Batch rejected = slice_rows(global, p + begin, p + end);
  auto append = [](std::vector<int32_t>& to, const std::vector<int32_t>& from) { to.insert(to.end(), from.begin(), from.end()); };
  append(chosen.input_ids, rejected.input_ids);
  append(chosen.labels, rejected.labels);
  append(chosen.position_ids, rejected.position_ids);
  append(chosen.segment_ids, rejected.segment_ids);
  chosen.rows += rejected.rows;
  chosen.tokens += rejected.tokens;
  chosen.trained_tokens += rejected.trained_tokens;
  chosen.samples = end - begin;  // pairs
  // Padded to this share's longest sequence, as TRL's collator pads a rank's own batch (the means over
  // every position of ORPO's and CPO's logits metrics count padding).
  int64_t t = 1;
  for (int64_t r = 0; r < chosen.rows; ++r)
    for (int64_t k = chosen.seq_len; k > t; --k)
      if (chosen.segment_ids[static_cast<size_t>(r * chosen.seq_len + k - 1)] != 0) {
        t = k;
        break;
      }
  if (t < chosen.seq_len) {
    auto trim = [&](std::vector<int32_t>& v) {
      std::vector<int32_t> out;
      out.reserve(static_cast<size_t>(chosen.rows * t));
      for (int64_t r = 0; r < chosen.rows; ++r)
        out.insert(out.end(), v.begin() + r * chosen.seq_len, v.begin() + r * chosen.seq_len + t);
      v = std::move(out);
    };
    for (auto* v : {&chosen.input_ids, &chosen.labels, &chosen.position_ids, &chosen.segment_ids}) trim(*v);
    chosen.seq_len = t;
  }
  return chosen;
}

}  // namespace axolotl::train
