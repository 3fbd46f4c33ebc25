// The supervised objective (see objective.h).
#include "axolotl/train/objective.h"

#include <algorithm>

namespace axolotl::train {

SftObjective::SftObjective(model::LlamaForCausalLMImpl& model, bool gradient_checkpointing)
    : loss_(model, gradient_checkpointing) {}

double SftObjective::step_denominator(const data::StepBatch& step) const {
  return static_cast<double>(std::max<int64_t>(1, step.trained_tokens));
}

MicroLoss SftObjective::micro_loss(const BatchTensors& batch, double denominator) {
  return {loss_.sum(batch) / denominator, {}};
}

torch::Tensor SftObjective::eval_sum(const BatchTensors& batch) { return loss_.sum(batch); }

}  // namespace axolotl::train
