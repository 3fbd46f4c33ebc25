// Token-classification loss of process reward models (see objective_prm.h).
#include "axolotl/train/objective_prm.h"

#include <algorithm>

#include "axolotl/util/error.h"

namespace axolotl::train {

ProcessRewardObjective::ProcessRewardObjective(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing)
    : model_(model), trunk_(model, gradient_checkpointing) {
  if (!model.is_classifier() || !model.config().token_classifier || model.config().num_labels < 2) {
    Diagnostic d;
    d.key = "process_reward_model";
    d.message = "a process reward model classifies every token";
    d.found = !model.is_classifier()       ? "a causal LM"
              : model.config().token_classifier ? std::to_string(model.config().num_labels) + " labels"
                                          : "a sequence classifier";
    d.expected = "a token classifier with num_labels 2 or more";
    throw Error(d);
  }
}

double ProcessRewardObjective::step_denominator(const data::StepBatch& step) const { return trained_tokens_in_step(step); }

torch::Tensor ProcessRewardObjective::scores(const BatchTensors& b) {
  return model_.scores(trunk_.hidden(b)).to(torch::kFloat32);  // (B, T, C)
}

MicroLoss ProcessRewardObjective::micro_loss(const BatchTensors& b, double denominator) {
  const torch::Tensor s = scores(b);
  const int64_t classes = s.size(-1);
  const auto flat = s.reshape({-1, classes});
  const auto labels = b.labels.reshape({-1});
  const auto trained = labels.ne(-100);
  if (trained.any().item<bool>() && labels.masked_select(trained).max().item<int64_t>() >= classes) {
    Diagnostic d;
    d.key = "num_labels";
    d.message = "a step label is not a class of the score head";
    d.found = "label " + std::to_string(labels.masked_select(trained).max().item<int64_t>());
    d.expected = "labels below num_labels (" + std::to_string(classes) + ")";
    throw Error(d);
  }
  MicroLoss out;
  const auto ce = torch::nn::functional::cross_entropy(
      flat, labels, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  out.loss = ce / denominator;
  if (!model_.is_training()) {  // TRL's compute_accuracy runs on evaluation predictions only
    torch::NoGradGuard no_grad;
    const auto hits = flat.argmax(-1).eq(labels).logical_and(trained).sum();
    out.metrics = {{"accuracy", static_cast<double>(hits.item<int64_t>()),
                    static_cast<double>(trained.sum().item<int64_t>())}};
  }
  return out;
}

torch::Tensor ProcessRewardObjective::eval_sum(const BatchTensors& b) {
  torch::NoGradGuard no_grad;
  return micro_loss(b, 1.0).loss;
}

}  // namespace axolotl::train
