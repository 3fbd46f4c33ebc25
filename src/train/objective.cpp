// The supervised objective (see objective.h).
#include "axolotl/train/objective.h"

#include <algorithm>

namespace axolotl::train {

double trained_tokens_in_step(const data::StepBatch& step) {
  return static_cast<double>(std::max<int64_t>(1, step.trained_tokens));
}

double samples_in_step(const data::StepBatch& step) {
  int64_t samples = 0;
  for (const auto& m : step.micro) samples += m.samples;
  return static_cast<double>(std::max<int64_t>(1, samples));
}

SftObjective::SftObjective(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing,
                           const std::optional<EntropyWeighting>& eaft)
    : loss_(model, gradient_checkpointing) {
  loss_.set_entropy_weighting(eaft);
}

double SftObjective::step_denominator(const data::StepBatch& step) const { return trained_tokens_in_step(step); }

MicroLoss SftObjective::micro_loss(const BatchTensors& batch, double denominator) {
  return {loss_.sum(batch) / denominator, {}};
}

torch::Tensor SftObjective::eval_sum(const BatchTensors& batch) { return loss_.sum(batch); }

}  // namespace axolotl::train
