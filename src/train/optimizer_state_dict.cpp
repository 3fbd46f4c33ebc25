// torch.optim state_dict <-> LibTorch optimizer state (see optimizer_state_dict.h). Keys and defaults
// follow torch 2.x AdamW / SGD (torch.optim.adamw, torch.optim.sgd); torch 1.13 reads them too.
#include "axolotl/train/optimizer_state_dict.h"

#include <fmt/format.h>

#include "axolotl/train/torch_pickle.h"

namespace axolotl::train {
namespace {

std::string key_of(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

std::string shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

c10::impl::GenericDict group_dict(const torch::optim::OptimizerParamGroup& g, config::Optimizer kind,
                                                 double lr, double initial_lr, int64_t& index) {
  auto d = string_dict();
  d.insert("lr", lr);
  if (kind == config::Optimizer::kAdamW) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(g.options());
    d.insert("betas", c10::ivalue::Tuple::create({std::get<0>(o.betas()), std::get<1>(o.betas())}));
    d.insert("eps", o.eps());
    d.insert("weight_decay", o.weight_decay());
    d.insert("amsgrad", o.amsgrad());
    d.insert("foreach", torch::IValue());
    d.insert("maximize", false);
    d.insert("capturable", false);
    d.insert("differentiable", false);
    d.insert("fused", torch::IValue());
  } else {
    const auto& o = static_cast<const torch::optim::SGDOptions&>(g.options());
    d.insert("momentum", o.momentum());
    d.insert("dampening", o.dampening());
    d.insert("weight_decay", o.weight_decay());
    d.insert("nesterov", o.nesterov());
    d.insert("maximize", false);
    d.insert("foreach", torch::IValue());
    d.insert("differentiable", false);
    d.insert("fused", torch::IValue());
  }
  d.insert("initial_lr", initial_lr);
  c10::List<torch::IValue> params = any_list();  // generic: typed lists pickle through torch.jit globals
  for (size_t i = 0; i < g.params().size(); ++i) params.push_back(index++);
  d.insert("params", params);
  return d;
}

// The group's hyper-parameters from the dict, over a copy of `current` (keys torch adds later may be absent).
std::unique_ptr<torch::optim::OptimizerOptions> group_options(const PickleDict& g, config::Optimizer kind,
                                                              const torch::optim::OptimizerOptions& current) {
  std::unique_ptr<torch::optim::OptimizerOptions> out = current.clone();
  out->set_lr(g.number("lr"));
  if (kind == config::Optimizer::kAdamW) {
    auto& a = static_cast<torch::optim::AdamWOptions&>(*out);
    const auto betas = g.list("betas");
    if (betas.size() != 2 || !betas.get(0).isDouble() || !betas.get(1).isDouble())
      g.fail("'betas' is not a pair of floats");
    a.betas({betas.get(0).toDouble(), betas.get(1).toDouble()});
    a.eps(g.number("eps"));
    a.weight_decay(g.number("weight_decay"));
    if (g.has("amsgrad")) a.amsgrad(g.number("amsgrad") != 0.0);
  } else {
    auto& s = static_cast<torch::optim::SGDOptions&>(*out);
    s.momentum(g.number("momentum"));
    s.weight_decay(g.number("weight_decay"));
    if (g.has("dampening")) s.dampening(g.number("dampening"));
    if (g.has("nesterov")) s.nesterov(g.number("nesterov") != 0.0);
  }
  return out;
}

}  // namespace

torch::Tensor state_tensor(const PickleDict& s, const std::string& key, const torch::Tensor& p,
                           const std::string& param_name) {
  const torch::IValue v = s.at(key);
  if (!v.isTensor()) s.fail("key '" + key + "' is not a tensor", v.tagKind());
  const torch::Tensor t = v.toTensor();
  if (!t.sizes().equals(p.sizes()))
    s.fail("'" + key + "' has the wrong shape for " + param_name, shape_of(t) + ", expected " + shape_of(p));
  return t.to(p.device(), p.scalar_type()).contiguous();
}

torch::IValue optimizer_state_dict(const torch::optim::Optimizer& opt, config::Optimizer kind, double lr,
                                   double initial_lr) {
  c10::impl::GenericDict state(c10::IntType::get(), c10::AnyType::get());
  c10::List<torch::IValue> groups = any_list();
  int64_t index = 0;
  for (const auto& g : opt.param_groups()) {
    const int64_t first = index;
    groups.push_back(group_dict(g, kind, lr, initial_lr, index));
    for (size_t i = 0; i < g.params().size(); ++i) {
      const auto it = opt.state().find(key_of(g.params()[i]));
      if (it == opt.state().end()) continue;  // never stepped: torch has no entry either
      auto s = string_dict();
      if (kind == config::Optimizer::kAdamW) {
        const auto& a = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        // torch >= 1.12 keeps the step count as a float32 scalar tensor (exact below 2^24 steps).
        s.insert("step", torch::tensor(static_cast<float>(a.step())));
        s.insert("exp_avg", a.exp_avg());
        s.insert("exp_avg_sq", a.exp_avg_sq());
        if (a.max_exp_avg_sq().defined()) s.insert("max_exp_avg_sq", a.max_exp_avg_sq());
      } else {
        const auto& m = static_cast<const torch::optim::SGDParamState&>(*it->second);
        s.insert("momentum_buffer", m.momentum_buffer().defined() ? torch::IValue(m.momentum_buffer()) : torch::IValue());
      }
      state.insert(torch::IValue(first + static_cast<int64_t>(i)), s);
    }
  }
  auto d = string_dict();
  d.insert("state", state);
  d.insert("param_groups", groups);
  return d;
}

void load_optimizer_state_dict(torch::optim::Optimizer& opt, config::Optimizer kind, const torch::IValue& value,
                               const std::string& path) {
  const PickleDict top = as_pickle_dict(value, path, "the optimizer state");
  const c10::List<torch::IValue> groups = top.list("param_groups");
  const PickleDict state = top.dict("state");
  auto& ours = opt.param_groups();
  if (groups.size() != ours.size())
    top.fail("the checkpoint has " + std::to_string(groups.size()) + " parameter groups, this run has " +
             std::to_string(ours.size()));
  // Parse everything before changing anything, so a mismatch leaves the optimizer as it was.
  std::vector<std::pair<std::string, std::unique_ptr<torch::optim::OptimizerParamState>>> parsed;
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> options;
  int64_t index = 0;
  for (size_t gi = 0; gi < ours.size(); ++gi) {
    const PickleDict g = as_pickle_dict(groups.get(gi), path, fmt::format("the optimizer state's param_groups[{}]", gi));
    const auto ids = g.list("params");
    if (ids.size() != ours[gi].params().size())
      g.fail(fmt::format("{} parameters, this run trains {}", ids.size(), ours[gi].params().size()));
    options.push_back(group_options(g, kind, ours[gi].options()));
    for (size_t i = 0; i < ids.size(); ++i, ++index) {
      const torch::Tensor& p = ours[gi].params()[i];
      const torch::IValue id = ids.get(i);
      if (!id.isInt()) g.fail("a parameter id is not an int", id.tagKind());
      const auto entries = state.value.toGenericDict();
      const auto it = entries.find(id);
      if (it == entries.end()) continue;
      const PickleDict s = as_pickle_dict(it->value(), path, fmt::format("the optimizer state of parameter {}", id.toInt()));
      auto moment = [&](const std::string& k) { return state_tensor(s, k, p, "this run's parameter"); };
      if (kind == config::Optimizer::kAdamW) {
        auto a = std::make_unique<torch::optim::AdamWParamState>();
        a->step(static_cast<int64_t>(s.number("step")));
        a->exp_avg(moment("exp_avg"));
        a->exp_avg_sq(moment("exp_avg_sq"));
        if (s.has("max_exp_avg_sq") && s.at("max_exp_avg_sq").isTensor()) a->max_exp_avg_sq(moment("max_exp_avg_sq"));
        parsed.emplace_back(key_of(p), std::move(a));
      } else {
        if (!s.has("momentum_buffer") || s.at("momentum_buffer").isNone()) continue;
        auto m = std::make_unique<torch::optim::SGDParamState>();
        m->momentum_buffer(moment("momentum_buffer"));
        parsed.emplace_back(key_of(p), std::move(m));
      }
    }
  }
  for (size_t gi = 0; gi < ours.size(); ++gi) ours[gi].set_options(std::move(options[gi]));
  opt.state().clear();
  for (auto& [k, s] : parsed) opt.state()[k] = std::move(s);
}

}  // namespace axolotl::train
