// Optimizers: AdamW (decoupled weight decay, two parameter groups as HF Trainer builds them: biases and
// norm weights get no decay) and SGD, on LibTorch's torch::optim, and Muon (muon.h). Axolotl's optimizer
// names are mapped to these kinds by the config (8-bit/paged/fused variants run as plain AdamW, with a note). State
// is saved as torch.optim's state_dict pickle (optimizer_state_dict.h), exact, so a resumed run
// continues bit for bit and torch.optim.AdamW.load_state_dict (HF Trainer) reads the same file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "axolotl/config/config.h"
#include "axolotl/train/muon.h"

namespace axolotl::train {

using NamedParams = std::vector<std::pair<std::string, torch::Tensor>>;

// HF Trainer.get_decay_parameter_names: everything but biases and normalisation weights.
bool takes_weight_decay(const std::string& name);

class Optimizer {
 public:
  // `params`: the trainable parameters (requires_grad), with their model names.
  Optimizer(const config::TrainingConfig& cfg, const NamedParams& params);

  void zero_grad();
  void step();
  void set_lr(double lr);  // every group
  // AdamW's exp_avg and exp_avg_sq of `param` (ReLoRA prunes them in place); empty before its first
  // step, for other optimizers, or for a tensor that is not one of params().
  std::vector<torch::Tensor> adam_moments(const torch::Tensor& param);
  double lr() const;
  const NamedParams& params() const { return params_; }
  config::Optimizer kind() const { return kind_; }
  int64_t group_count() const {
    return muon_ ? static_cast<int64_t>(muon_->groups().size()) : static_cast<int64_t>(impl_->param_groups().size());
  }

  // Exact state (moments, step counts, options) as a torch.save pickle; `group_lr` is the rate written
  // in param_groups (HF: what the scheduler set after the step; default the current rate).
  void save(const std::string& path, std::optional<double> group_lr = std::nullopt) const;
  // Reads that pickle (also one Python's torch.save wrote) or an older LibTorch archive; IoError
  // naming the file when it does not fit this run's parameters.
  void load(const std::string& path);

 private:
  config::Optimizer kind_;
  double initial_lr_;
  NamedParams params_;
  std::unique_ptr<torch::optim::Optimizer> impl_;  // AdamW, SGD
  std::unique_ptr<Muon> muon_;                      // muon
};

// Global L2 norm of the gradients (torch.nn.utils.clip_grad_norm_, PyTorch 1.13), then scaling by
// min(1, max_norm / (norm + 1e-6)) when max_norm > 0. Returns the norm before clipping (may be
// non-finite; the caller decides). Parameters without a gradient are skipped.
double clip_grad_norm(const NamedParams& params, double max_norm);

}  // namespace axolotl::train
