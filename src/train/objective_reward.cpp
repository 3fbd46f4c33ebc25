// Bradley-Terry reward loss and metrics (see objective_reward.h). Pooling: transformers
// GenericForSequenceClassification.forward (last non-pad token); loss and metrics: TRL 1.8 RewardTrainer.
#include "axolotl/train/objective_reward.h"

#include <algorithm>

#include "axolotl/train/objective_preference.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

double item(const torch::Tensor& t) { return t.detach().to(torch::kFloat64).item<double>(); }

}  // namespace

RewardObjective::RewardObjective(model::LlamaForCausalLMImpl& model, const RewardOptions& options,
                                 bool gradient_checkpointing)
    : model_(model), options_(options), trunk_(model, gradient_checkpointing) {
  if (!model.is_classifier() || model.config().num_labels != 1) {
    Diagnostic d;
    d.key = "reward_model";
    d.message = "a reward model scores each sequence with one logit";
    d.found = model.is_classifier() ? std::to_string(model.config().num_labels) + " labels" : "a causal LM";
    d.expected = "a sequence classifier with num_labels 1";
    throw Error(d);
  }
}

double RewardObjective::step_denominator(const data::StepBatch& step) const { return samples_in_step(step); }

torch::Tensor RewardObjective::rewards(const BatchTensors& b) {
  check_pairs(b, "reward");
  const torch::Tensor hidden = trunk_.hidden(b);                                        // (N, T, H)
  const int64_t n = hidden.size(0), t = hidden.size(1);
  // (arange(T) · (ids != pad)).argmax(-1): the last non-pad position (0 when every token is pad).
  const auto positions = torch::arange(t, b.input_ids.options()).unsqueeze(0);          // (1, T)
  const auto last = (positions * b.input_ids.ne(options_.pad_id).to(torch::kInt64)).argmax(-1);  // (N)
  const auto rows = torch::arange(n, last.options());
  const auto pooled = hidden.index({rows, last});                                       // (N, H)
  return model_.scores(pooled).squeeze(-1).to(torch::kFloat32);                         // (N)
}

MicroLoss RewardObjective::micro_loss(const BatchTensors& b, double denominator) {
  const torch::Tensor r = rewards(b);
  const int64_t p = r.size(0) / 2;
  const auto chosen = r.narrow(0, 0, p), rejected = r.narrow(0, p, p);
  torch::Tensor loss = -torch::nn::functional::logsigmoid(chosen - rejected).mean();
  if (options_.center_rewards_coefficient)
    loss = loss + *options_.center_rewards_coefficient * (chosen + rejected).pow(2).mean();
  MicroLoss out;
  out.loss = loss * (static_cast<double>(p) / denominator);
  torch::NoGradGuard no_grad;
  const auto all = r.detach();
  out.metrics = {
      {"min_reward", item(all.min()), 1.0},
      {"mean_reward", item(all.sum()), static_cast<double>(all.size(0))},
      {"max_reward", item(all.max()), 1.0},
      {"accuracy", item((chosen > rejected).to(torch::kFloat32).mean()), 1.0},
      {"margin", item((chosen - rejected).mean()), 1.0},
  };
  return out;
}

torch::Tensor RewardObjective::eval_sum(const BatchTensors& b) {
  torch::NoGradGuard no_grad;
  return micro_loss(b, 1.0).loss;
}

std::vector<std::string> RewardObjective::metric_names() const {
  return {"min_reward", "mean_reward", "max_reward", "accuracy", "margin"};
}

std::vector<MetricReduce> RewardObjective::metric_reduces() const {
  return {MetricReduce::kMin, MetricReduce::kMean, MetricReduce::kMax, MetricReduce::kMean, MetricReduce::kMean};
}

data::Batch RewardObjective::share(const data::Batch& global, int rank, int64_t per_rank) const {
  return pair_share(global, rank, per_rank);
}

}  // namespace axolotl::train
