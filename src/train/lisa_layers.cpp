// LISA layer switching (see lisa_layers.h).
#include "axolotl/train/lisa_layers.h"

#include <algorithm>

#include "axolotl/data/dataset_builder.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

LisaLayers::LisaLayers(model::LlamaForCausalLMImpl& model, int n_layers, int step_interval, uint64_t seed)
    : model_(model), n_layers_(n_layers), interval_(step_interval), seed_(seed) {
  const int64_t total = static_cast<int64_t>(model_.model->layers->size());
  if (n_layers_ < 1 || n_layers_ > total) {
    throw ConfigError({Diagnostic{{}, "lisa_n_layers", "more layers than the model has", std::to_string(n_layers_),
                                  "1 .. " + std::to_string(total), "the model has " + std::to_string(total) + " decoder layers"}});
  }
  if (interval_ < 1) {
    throw ConfigError({Diagnostic{{}, "lisa_step_interval", "must be at least 1", std::to_string(interval_), ">= 1", {}}});
  }
  log::info("train", "LISA will activate {}/{} layers ({}%) every {} steps", n_layers_, total,
            n_layers_ * 100.0 / static_cast<double>(total), interval_);
}

int64_t LisaLayers::switch_step(int64_t global_step) const {
  // Axolotl's on_step_begin: global_step % interval == 0 or global_step == 1.
  const int64_t multiple = global_step / interval_ * interval_;
  return global_step >= 1 && multiple < 1 ? 1 : multiple;
}

std::vector<int64_t> LisaLayers::layers_for(int64_t step) const {
  const size_t total = model_.model->layers->size();
  // numpy's choice(range(total), n, replace=False) in Axolotl; here a seeded permutation's first n.
  const auto perm = data::seeded_permutation(total, seed_ ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step + 1)));
  std::vector<int64_t> out(perm.begin(), perm.begin() + n_layers_);
  std::sort(out.begin(), out.end());
  return out;
}

void LisaLayers::at_step(int64_t global_step) {
  const int64_t at = switch_step(global_step);
  if (at == current_switch_) return;
  current_switch_ = at;
  active_ = layers_for(at);
  const int64_t total = static_cast<int64_t>(model_.model->layers->size());
  for (int64_t i = 0; i < total; ++i) {
    const bool on = std::binary_search(active_.begin(), active_.end(), i);
    for (auto& p : model_.layer(i).parameters()) {
      p.set_requires_grad(on);
      if (!on && p.grad().defined()) p.mutable_grad() = torch::Tensor();
    }
  }
  std::string list;
  for (int64_t i : active_) list += (list.empty() ? "" : ", ") + std::to_string(i);
  log::info("train", "LISA: training layers [{}] from step {}", list, global_step);
}

}  // namespace axolotl::train
