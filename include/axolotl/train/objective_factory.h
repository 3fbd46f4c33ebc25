// The objective a config asks for (objective.h): supervised without `rl:`, else the preference loss
// (objective_preference.h) or KTO (objective_kto.h); reward_model: the Bradley-Terry loss
// (objective_reward.h). Full fine-tuning gets a frozen copy of the initial weights as the reference
// model (with an adapter the reference is the adapter switched off), unless precompute_ref_log_probs
// computes the reference log-probs once before training.
#pragma once

#include <memory>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/config/config.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/objective.h"

namespace axolotl::train {

struct ObjectiveBundle {
  std::unique_ptr<Objective> objective;
  model::LlamaForCausalLM reference{nullptr};  // the frozen copy (full fine-tuning with a reference loss)
};

struct ObjectiveSettings {
  bool adapter = false;                 // LoRA/QLoRA: the reference is the adapter switched off
  bool gradient_checkpointing = false;
  bool distributed = false;
  adapters::SavedModuleBases* saved_bases = nullptr;  // modules_to_save with an adapter (adapter_switch.h)
  DistributedContext* context = nullptr;  // the ranks' collectives (KTO averages its KL estimate over ranks)
  int32_t pad_id = 0;                     // the batches' pad id (a reward model's score is read before it)
  std::optional<EntropyWeighting> eaft;   // use_eaft: the supervised loss's token weights (cross_entropy.h)
};

// Error when `distributed` is set for KTO without a `context`.
ObjectiveBundle make_objective(const config::PreferenceConfig& preference, const ObjectiveSettings& settings,
                               model::LlamaForCausalLMImpl& model);

// precompute_ref_log_probs: fills the objective's reference cache from every batch of the loader's
// first epoch (each rank computes all of them), before any weight is trained or restored. No-op when
// the objective does not precompute.
void precompute_reference(Objective& objective, data::BatchLoader& loader, model::LlamaForCausalLMImpl& model);

// Whether the method compares against a reference model (DPO, IPO, KTO; not ORPO or SimPO).
bool needs_reference(const std::string& rl);

}  // namespace axolotl::train
