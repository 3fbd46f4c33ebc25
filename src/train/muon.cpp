// Muon with AdamW groups (see muon.h): dion/muon.py muon_update_pre_orthogonalize,
// zeropower_via_newtonschulz5, muon_update_post_orthogonalize, adjust_lr_spectral_norm, and
// dion/scalar_opts.py adamw_update_foreach, op for op with dion's float32 0-dim scalars.
#include "axolotl/train/muon.h"

#include <fmt/format.h>

#include <cmath>

#include "axolotl/train/optimizer_state_dict.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

torch::Tensor f32(double v) { return torch::scalar_tensor(v, torch::kFloat); }

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// dion's per-iteration Newton-Schulz constants (a, b, c).
constexpr double kNewtonSchulz[5][3] = {{4.0848, -6.8946, 2.9270},
                                        {3.9505, -6.3029, 2.6377},
                                        {3.7418, -5.5913, 2.3037},
                                        {2.8769, -3.1427, 1.2046},
                                        {2.8366, -3.0525, 1.2012}};

}  // namespace

torch::Tensor newton_schulz(const torch::Tensor& g, double epsilon) {
  torch::Tensor x = g.to(torch::kBFloat16);
  const bool tall = g.size(-2) > g.size(-1);
  if (tall) x = x.mT();
  x = x / (torch::frobenius_norm(x, {-2, -1}, /*keepdim=*/true) + f32(epsilon));  // spectral norm <= 1
  for (const auto& k : kNewtonSchulz) {
    const torch::Tensor a = torch::matmul(x, x.mT());
    const torch::Tensor b = a * k[1] + torch::matmul(a, a) * k[2];
    x = x * k[0] + torch::matmul(b, x);
  }
  return tall ? x.mT() : x;
}

Muon::Muon(const std::vector<std::pair<std::string, torch::Tensor>>& params, const MuonSettings& settings,
           bool (*takes_decay)(const std::string&))
    : settings_(settings) {
  // The factory's five groups, in its order; empty ones are left out.
  Group adam_decay{"adamw", settings.weight_decay}, adam_plain{"adamw", 0.0}, embeddings{"adamw", 0.0},
      muon_decay{"muon", settings.weight_decay}, muon_plain{"muon", 0.0};
  for (const auto& [name, p] : params) {
    Group* to = nullptr;
    if (ends_with(name, "modules_to_save.default.weight") || name.find("embed_tokens") != std::string::npos ||
        name.find("lm_head") != std::string::npos) {
      to = &embeddings;
    } else if (p.dim() < 2) {
      to = takes_decay(name) ? &adam_decay : &adam_plain;
    } else {
      to = takes_decay(name) ? &muon_decay : &muon_plain;
    }
    to->names.push_back(name);
    to->params.push_back(p);
  }
  for (Group* g : {&adam_decay, &adam_plain, &embeddings, &muon_decay, &muon_plain}) {
    if (g->params.empty()) continue;
    g->lr = settings.lr;
    g->momentum.resize(g->params.size());
    if (g->algorithm == "adamw") g->variance.resize(g->params.size());
    groups_.push_back(std::move(*g));
  }
}

void Muon::set_lr(double lr) {
  for (auto& g : groups_) g.lr = lr;
}

void Muon::step() {
  torch::NoGradGuard no_grad;
  for (auto& g : groups_) {
    ++g.step;
    for (size_t i = 0; i < g.params.size(); ++i) {
      if (!g.params[i].grad().defined()) continue;
      if (g.algorithm == "muon") muon_update(g, i);
      else adamw_update(g, i);
    }
  }
}

void Muon::muon_update(Group& g, size_t i) {
  torch::Tensor& w = g.params[i];
  if (!g.momentum[i].defined()) g.momentum[i] = torch::zeros_like(w);
  torch::Tensor& m = g.momentum[i];
  const torch::Tensor grad = w.grad().to(m.scalar_type());
  const torch::Tensor mu = f32(settings_.mu);
  m.mul_(mu);
  m.add_(grad);
  torch::Tensor u = settings_.nesterov ? m.mul(mu).add_(grad) : m;
  u = newton_schulz(u.to(torch::kBFloat16), settings_.epsilon);
  const torch::Tensor lr = f32(g.lr);
  w.mul_(1 - lr * f32(g.weight_decay));
  // adjust_lr_spectral_norm: from spectral norm 1 to RMS operator norm 1.
  const torch::Tensor adjusted = lr * std::sqrt(static_cast<double>(w.size(-2)) / static_cast<double>(w.size(-1)));
  w.sub_(u.mul(adjusted));
}

void Muon::adamw_update(Group& g, size_t i) {
  torch::Tensor& w = g.params[i];
  if (!g.momentum[i].defined()) {
    g.momentum[i] = torch::zeros_like(w);
    g.variance[i] = torch::zeros_like(w);
  }
  torch::Tensor &m = g.momentum[i], &v = g.variance[i];
  const torch::Tensor grad = w.grad().to(m.scalar_type());
  const torch::Tensor beta1 = f32(settings_.beta1), beta2 = f32(settings_.beta2);
  // dion's weights are float32 0-dim tensors; as a scalar the same float value also serves bfloat16
  // states (this LibTorch's lerp wants a tensor weight of the state's dtype).
  m.lerp_(grad, (1 - beta1).item<float>());
  v.lerp_(grad.mul(grad).to(v.scalar_type()), (1 - beta2).item<float>());
  const torch::Tensor step = torch::scalar_tensor(g.step, torch::kLong);
  const torch::Tensor correction1 = 1 - beta1.pow(step), correction2 = 1 - beta2.pow(step);
  torch::Tensor denom = v.sqrt();
  denom.div_(correction2.sqrt());
  denom.add_(f32(settings_.epsilon));
  const torch::Tensor lr = f32(g.lr);
  w.mul_(1 - lr * f32(g.weight_decay));
  torch::Tensor update = m.div(denom);
  update.mul_(lr / correction1);
  w.sub_(update);
}

torch::IValue Muon::state_dict(double group_lr, double initial_lr) const {
  c10::impl::GenericDict state(c10::IntType::get(), c10::AnyType::get());
  c10::List<torch::IValue> groups = any_list();
  int64_t index = 0;
  for (const auto& g : groups_) {
    auto d = string_dict();
    d.insert("algorithm", g.algorithm);
    d.insert("lr", group_lr);
    d.insert("mu", settings_.mu);
    d.insert("beta1", settings_.beta1);
    d.insert("beta2", settings_.beta2);
    d.insert("weight_decay", g.weight_decay);
    d.insert("step", g.step);
    d.insert("epsilon", settings_.epsilon);
    d.insert("nesterov", settings_.nesterov);
    d.insert("flatten", false);
    d.insert("adjust_lr", std::string("spectral_norm"));
    d.insert("initial_lr", initial_lr);
    c10::List<torch::IValue> ids = any_list();
    for (size_t i = 0; i < g.params.size(); ++i, ++index) {
      ids.push_back(index);
      if (!g.momentum[i].defined()) continue;  // never stepped: no entry, as in torch
      auto s = string_dict();
      s.insert("momentum", g.momentum[i]);
      if (g.algorithm == "adamw") s.insert("variance", g.variance[i]);
      state.insert(torch::IValue(index), s);
    }
    d.insert("params", ids);
    groups.push_back(d);
  }
  auto out = string_dict();
  out.insert("state", state);
  out.insert("param_groups", groups);
  return out;
}

void Muon::load_state_dict(const torch::IValue& value, const std::string& path) {
  const PickleDict top = as_pickle_dict(value, path, "the Muon optimizer state");
  const c10::List<torch::IValue> groups = top.list("param_groups");
  const PickleDict state = top.dict("state");
  if (groups.size() != groups_.size())
    top.fail("the checkpoint has " + std::to_string(groups.size()) + " parameter groups, this run has " +
             std::to_string(groups_.size()) + " (Muon's: vectors with/without decay, embeddings, matrices with/without decay)");
  std::vector<Group> parsed = groups_;  // everything is checked before anything changes
  const auto entries = state.value.toGenericDict();
  int64_t index = 0;
  for (size_t gi = 0; gi < parsed.size(); ++gi) {
    Group& ours = parsed[gi];
    const PickleDict g = as_pickle_dict(groups.get(gi), path, fmt::format("the optimizer state's param_groups[{}]", gi));
    const torch::IValue algorithm = g.at("algorithm");
    if (!algorithm.isString() || algorithm.toStringRef() != ours.algorithm)
      g.fail("group " + std::to_string(gi) + " is not a '" + ours.algorithm + "' group", algorithm.tagKind());
    const auto ids = g.list("params");
    if (ids.size() != ours.params.size())
      g.fail(fmt::format("{} parameters, this run trains {}", ids.size(), ours.params.size()));
    ours.lr = g.number("lr");
    ours.weight_decay = g.number("weight_decay");
    ours.step = static_cast<int64_t>(g.number("step"));
    for (size_t i = 0; i < ids.size(); ++i, ++index) {
      const torch::Tensor& p = ours.params[i];
      ours.momentum[i] = torch::Tensor();
      if (ours.algorithm == "adamw") ours.variance[i] = torch::Tensor();
      const auto it = entries.find(ids.get(i));
      if (it == entries.end()) continue;
      const PickleDict s = as_pickle_dict(it->value(), path, fmt::format("the optimizer state of parameter {}", index));
      ours.momentum[i] = state_tensor(s, "momentum", p, ours.names[i]);
      if (ours.algorithm == "adamw") ours.variance[i] = state_tensor(s, "variance", p, ours.names[i]);
    }
  }
  groups_ = std::move(parsed);
}

}  // namespace axolotl::train
