// Optimizers: AdamW (decoupled weight decay, two parameter groups as HF Trainer builds them: biases and
// norm weights get no decay) and SGD, on LibTorch's torch::optim. Axolotl's optimizer names are mapped
// to these two kinds by the config (8-bit/paged/fused variants run as plain AdamW, with a note). State
// is saved with torch::save so a resumed run continues bit for bit.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "axolotl/config/config.h"

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
  double lr() const;
  const NamedParams& params() const { return params_; }
  config::Optimizer kind() const { return kind_; }

  // Exact state (moments, step counts, options); the file is a LibTorch archive.
  void save(const std::string& path) const;
  void load(const std::string& path);  // IoError naming the file when it does not fit

 private:
  config::Optimizer kind_;
  NamedParams params_;
  std::unique_ptr<torch::optim::Optimizer> impl_;
};

// Global L2 norm of the gradients (torch.nn.utils.clip_grad_norm_, PyTorch 1.13), then scaling by
// min(1, max_norm / (norm + 1e-6)) when max_norm > 0. Returns the norm before clipping (may be
// non-finite; the caller decides). Parameters without a gradient are skipped.
double clip_grad_norm(const NamedParams& params, double max_norm);

}  // namespace axolotl::train
