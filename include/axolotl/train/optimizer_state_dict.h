// torch.optim's state_dict layout for our LibTorch optimizers, so optimizer.pt is what HF Trainer
// saves and loads: {'state': {i: {'step': tensor(float), 'exp_avg', 'exp_avg_sq'} (AdamW) or
// {'momentum_buffer'} (SGD)}, 'param_groups': [{'lr', 'betas', 'eps', 'weight_decay', ..., 'initial_lr',
// 'params': [i, ...]}]}, i numbering the parameters across the groups in order (torch's convention).
#pragma once

#include <torch/torch.h>

#include <string>

#include "axolotl/config/config.h"
#include "axolotl/train/torch_pickle.h"

namespace axolotl::train {

// `lr`: the groups' current rate as the LR scheduler leaves it after the step; `initial_lr`: the base rate.
torch::IValue optimizer_state_dict(const torch::optim::Optimizer& opt, config::Optimizer kind, double lr,
                                   double initial_lr);

// Replaces `opt`'s per-parameter state and group hyper-parameters with the dict's. IoError naming `path`
// when the groups, the parameter counts or a moment's shape differ (other trainable parameters).
void load_optimizer_state_dict(torch::optim::Optimizer& opt, config::Optimizer kind, const torch::IValue& dict,
                               const std::string& path);

// `key` of one parameter's state dict (a moment) on `param`'s device and in its dtype; IoError naming
// `param_name` when it is not a tensor or not of `param`'s shape (also used by Muon's state, muon.h).
torch::Tensor state_tensor(const PickleDict& state, const std::string& key, const torch::Tensor& param,
                           const std::string& param_name);

}  // namespace axolotl::train
