// Switching every LoRA adapter off for a scope, as PEFT's disable_adapter / TRL's use_adapter(model, None):
// preference training's reference model is the same base weights without the adapter, no second copy.
// modules_to_save (embed_tokens, lm_head) are trained in place; PEFT's ModulesToSaveWrapper keeps the
// original module for adapter-off passes, and SavedModuleBases does the same here: copies of the base
// tables taken before training, swapped in for a scope that is given them.
// Limits: per thread (the reference pass runs under no_grad on the calling thread); the swap changes
// the parameters' data, so no other thread may run the model while such a scope is open.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace axolotl::model {
class LlamaForCausalLMImpl;
}

namespace axolotl::adapters {

// True while an AdaptersDisabled scope is open on this thread: LoraLinear then returns base(x) only.
bool adapters_disabled();

// The base weights of modules_to_save, captured before any training or adapter load.
class SavedModuleBases {
 public:
  // Copies of the parameters of `modules` (PEFT's suffix match on the model's names; a tied lm_head
  // is embed_tokens and is copied once). Empty when no module matches.
  static SavedModuleBases capture(model::LlamaForCausalLMImpl& m, const std::vector<std::string>& modules);
  bool empty() const { return tables_.empty(); }
  size_t size() const { return tables_.size(); }

 private:
  friend class AdaptersDisabled;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> tables_;  // live parameter, base copy
};

class AdaptersDisabled {
 public:
  // With `bases`, the saved modules run on their base weights too (moved to the parameters' device
  // once); the trained weights are back when the scope ends.
  explicit AdaptersDisabled(SavedModuleBases* bases = nullptr);
  ~AdaptersDisabled();
  AdaptersDisabled(const AdaptersDisabled&) = delete;
  AdaptersDisabled& operator=(const AdaptersDisabled&) = delete;

 private:
  bool previous_;
  SavedModuleBases* bases_;
  std::vector<torch::Tensor> trained_;  // the live data while the bases are swapped in
};

}  // namespace axolotl::adapters
