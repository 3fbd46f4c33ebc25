// Objective from the config (see objective_factory.h). Axolotl core/builders/rl.py: beta precedence
// rl_beta > orpo_alpha; KTO's weights default to 1.0; SimPO through CPO with simpo_gamma and cpo_alpha.
#include "axolotl/train/objective_factory.h"

#include "axolotl/data/batch_loader.h"
#include "axolotl/train/objective_kto.h"
#include "axolotl/train/objective_preference.h"
#include "axolotl/train/objective_prm.h"
#include "axolotl/train/objective_reward.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

// A frozen copy of `model`'s current weights, on its device and in its dtype (TRL create_reference_model).
model::LlamaForCausalLM frozen_copy(model::LlamaForCausalLMImpl& model) {
  const auto& w = model.named_parameters();
  const auto options = torch::TensorOptions().dtype(w.begin()->value().scalar_type()).device(model.device());
  model::LlamaForCausalLM copy(model.config(), options);
  torch::NoGradGuard no_grad;
  auto params = copy->named_parameters();
  for (const auto& item : w) {
    torch::Tensor* to = params.find(item.key());
    if (!to) throw Error("reference model: no parameter " + item.key() + " in a fresh copy of the model");
    to->copy_(item.value());
  }
  auto buffers = copy->named_buffers();
  for (const auto& item : model.named_buffers())
    if (torch::Tensor* to = buffers.find(item.key())) to->copy_(item.value());
  for (auto& p : copy->parameters()) p.set_requires_grad(false);
  copy->eval();
  return copy;
}

}  // namespace

bool needs_reference(const std::string& rl) { return rl == "dpo" || rl == "ipo" || rl == "kto"; }

ObjectiveBundle make_objective(const config::PreferenceConfig& p, const ObjectiveSettings& settings,
                               model::LlamaForCausalLMImpl& model) {
  const bool checkpointing = settings.gradient_checkpointing;
  ObjectiveBundle out;
  if (p.reward_model) {
    out.objective = std::make_unique<RewardObjective>(model, RewardOptions{settings.pad_id, p.center_rewards_coefficient},
                                                      checkpointing);
    return out;
  }
  if (p.process_reward_model) {
    out.objective = std::make_unique<ProcessRewardObjective>(model, checkpointing);
    return out;
  }
  if (p.method.empty()) {
    out.objective = std::make_unique<SftObjective>(model, checkpointing, settings.eaft);
    return out;
  }
  const bool precompute = p.precompute_ref_log_probs && needs_reference(p.method);
  if (!settings.adapter && needs_reference(p.method) && !precompute) out.reference = frozen_copy(model);
  model::LlamaForCausalLMImpl* reference = out.reference ? out.reference.get() : nullptr;
  const double beta = p.rl_beta.value_or(p.orpo_alpha.value_or(0.1));
  if (p.method == "kto") {
    if (settings.distributed && !settings.context) {
      Diagnostic d;
      d.key = "rl";
      d.message = "KTO on several processes averages its KL estimate over the ranks, which needs their process group";
      d.found = "rl: kto with several processes and no distributed context";
      d.expected = "ObjectiveSettings::context set (train/trainer.cpp passes the run's DistributedContext)";
      throw Error(d);
    }
    const KtoOptions o{beta, p.kto_desirable_weight, p.kto_undesirable_weight, precompute, settings.saved_bases};
    out.objective = std::make_unique<KtoObjective>(model, reference, o, checkpointing, settings.context);
    return out;
  }
  PreferenceOptions o;
  o.loss = preference_loss_from_name(p.method);
  o.beta = beta;
  o.label_smoothing = p.dpo_label_smoothing;
  o.use_weighting = p.dpo_use_weighting && (p.method == "dpo" || p.method == "ipo");
  o.simpo_gamma = p.simpo_gamma;
  o.cpo_alpha = p.cpo_alpha;
  o.precomputed_reference = precompute;
  o.saved_bases = settings.saved_bases;
  out.objective = std::make_unique<PreferenceObjective>(model, reference, o, checkpointing);
  return out;
}

void precompute_reference(Objective& objective, data::BatchLoader& loader, model::LlamaForCausalLMImpl& model) {
  if (!objective.precomputes_reference()) return;
  torch::NoGradGuard no_grad;
  const bool training = model.is_training();
  model.eval();
  const int64_t steps = loader.steps_in_epoch(0);
  for (int64_t i = 0; i < steps; ++i)
    for (const auto& batch : loader.step(0, i).micro) objective.cache_reference(to_tensors(batch, model.device()));
  if (training) model.train();
}

}  // namespace axolotl::train
