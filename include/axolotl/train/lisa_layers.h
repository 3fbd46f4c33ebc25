// LISA (lisa_n_layers, lisa_step_interval): full fine-tuning that trains only n randomly chosen
// decoder layers at a time, switching them every interval steps as Axolotl's LISACallback does
// (at steps 0, 1 and each multiple of the interval). The choice is a function of (seed, switch step),
// so a resumed run picks the same layers without extra checkpoint state.
#pragma once

#include <cstdint>
#include <vector>

#include "axolotl/model/llama_model.h"

namespace axolotl::train {

class LisaLayers {
 public:
  // Throws ConfigError when n_layers is not within 1 .. the model's layer count.
  LisaLayers(model::LlamaForCausalLMImpl& model, int n_layers, int step_interval, uint64_t seed);

  // on_step_begin: the step about to run (0-based global step); switches when Axolotl would.
  void at_step(int64_t global_step);
  // The last step at or before `global_step` where the layers switch.
  int64_t switch_step(int64_t global_step) const;
  // The layer indices trained after a switch at `step` (sorted).
  std::vector<int64_t> layers_for(int64_t step) const;
  const std::vector<int64_t>& active() const { return active_; }

 private:
  model::LlamaForCausalLMImpl& model_;
  int n_layers_, interval_;
  uint64_t seed_;
  int64_t current_switch_ = -1;
  std::vector<int64_t> active_;
};

}  // namespace axolotl::train
