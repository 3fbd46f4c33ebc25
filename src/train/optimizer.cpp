// AdamW / SGD over two parameter groups, Muon (muon.h), exact state save/load, gradient clipping.
#include "axolotl/train/optimizer.h"

#include <filesystem>
#include <sstream>

#include "axolotl/train/optimizer_state_dict.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

bool takes_weight_decay(const std::string& name) {
  auto ends_with = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("bias")) return false;
  // LLaMA norms: model.layers.N.input_layernorm, post_attention_layernorm, model.norm.
  return name.find("norm") == std::string::npos;
}

Optimizer::Optimizer(const config::TrainingConfig& cfg, const NamedParams& params)
    : kind_(cfg.optimizer), initial_lr_(cfg.learning_rate), params_(params) {
  if (kind_ == config::Optimizer::kMuon) {
    MuonSettings s;
    s.lr = cfg.learning_rate;
    s.beta1 = cfg.adam_beta1;
    s.beta2 = cfg.adam_beta2;
    s.epsilon = cfg.adam_epsilon;
    s.weight_decay = cfg.weight_decay;
    muon_ = std::make_unique<Muon>(params_, s, &takes_weight_decay);
    return;
  }
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& [name, p] : params_) (takes_weight_decay(name) ? decay : no_decay).push_back(p);
  if (kind_ == config::Optimizer::kAdamW) {
    auto opts = [&](double wd) {
      return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(cfg.learning_rate)
                                                              .betas({cfg.adam_beta1, cfg.adam_beta2})
                                                              .eps(cfg.adam_epsilon)
                                                              .weight_decay(wd));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!decay.empty()) groups.emplace_back(decay, opts(cfg.weight_decay));
    if (!no_decay.empty()) groups.emplace_back(no_decay, opts(0.0));
    impl_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(cfg.learning_rate));
  } else {
    auto opts = [&](double wd) {
      return std::make_unique<torch::optim::SGDOptions>(
          torch::optim::SGDOptions(cfg.learning_rate).momentum(cfg.sgd_momentum).weight_decay(wd));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!decay.empty()) groups.emplace_back(decay, opts(cfg.weight_decay));
    if (!no_decay.empty()) groups.emplace_back(no_decay, opts(0.0));
    impl_ = std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(cfg.learning_rate));
  }
}

void Optimizer::zero_grad() {
  for (auto& [name, p] : params_) {
    auto& g = p.mutable_grad();
    if (g.defined()) g = torch::Tensor();  // set_to_none, as PyTorch 2 defaults
  }
}

void Optimizer::step() {
  if (muon_) muon_->step();
  else impl_->step();
}

void Optimizer::set_lr(double lr) {
  if (muon_) return muon_->set_lr(lr);
  for (auto& group : impl_->param_groups()) group.options().set_lr(lr);
}

std::vector<torch::Tensor> Optimizer::adam_moments(const torch::Tensor& param) {
  if (kind_ != config::Optimizer::kAdamW || !impl_) return {};
  const auto it = impl_->state().find(c10::guts::to_string(param.unsafeGetTensorImpl()));
  if (it == impl_->state().end()) return {};
  auto& a = static_cast<torch::optim::AdamWParamState&>(*it->second);
  return {a.exp_avg(), a.exp_avg_sq()};
}

double Optimizer::lr() const { return muon_ ? muon_->lr() : impl_->param_groups().front().options().get_lr(); }

void Optimizer::save(const std::string& path, std::optional<double> group_lr) const {
  if (muon_) return write_torch_pickle(path, muon_->state_dict(group_lr.value_or(lr()), initial_lr_));
  write_torch_pickle(path, optimizer_state_dict(*impl_, kind_, group_lr.value_or(lr()), initial_lr_));
}

void Optimizer::load(const std::string& path) {
  if (muon_) {
    try {
      muon_->load_state_dict(read_torch_pickle(path, "the Muon optimizer state"), path);
    } catch (const IoError& e) {
      Diagnostic d = e.diagnostic();
      d.message = "cannot load the optimizer state: " + d.message;
      d.hint = "the checkpoint was written for another optimizer or other trainable parameters";
      throw IoError(d);
    }
    return;
  }
  torch::IValue dict;
  try {
    dict = read_torch_pickle(path, "the optimizer state");
  } catch (const IoError& not_pickle) {
    // optimizer.pt of a checkpoint written before the pickle layout: a LibTorch archive.
    try {
      torch::load(*impl_, path);
      log::info("train", "{}: read an older LibTorch optimizer archive", path);
      return;
    } catch (const c10::Error&) {
      Diagnostic d = not_pickle.diagnostic();
      d.hint = "the file is neither a torch.save pickle nor an older LibTorch optimizer archive";
      throw IoError(d);
    }
  }
  try {
    load_optimizer_state_dict(*impl_, kind_, dict, path);
  } catch (const IoError& e) {
    Diagnostic d = e.diagnostic();
    d.message = "cannot load the optimizer state: " + d.message;
    d.hint = "the checkpoint was written for other trainable parameters (adapter settings changed?)";
    throw IoError(d);
  }
}

double clip_grad_norm(const NamedParams& params, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const auto& [name, p] : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) norms.push_back(g.detach().norm(2).to(torch::kFloat32));
  // (n,) -> scalar; the same reduction as clip_grad_norm_ in PyTorch 1.13.
  torch::Tensor total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const double value = total.item<double>();
  if (max_norm > 0.0 && std::isfinite(value)) {
    torch::Tensor coef = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
    torch::NoGradGuard no_grad;
    for (auto& g : grads) g.mul_(coef.to(g.dtype()));
  }
  return value;
}

}  // namespace axolotl::train
