// LlamaMlp (HF modeling_llama.py LlamaMLP; gemma2 GemmaMLP with gelu_pytorch_tanh; phi3 Phi3MLP's
// gate_up_proj.chunk(2)).
#include "axolotl/model/mlp.h"

#include "axolotl/util/error.h"

namespace axolotl::model {

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& c, const torch::TensorOptions& options)
    : gelu_tanh_(c.hidden_act == "gelu_pytorch_tanh") {
  const bool bias = c.mlp_bias;
  if (c.fused_gate_up) {
    gate_up_proj = register_module(
        "gate_up_proj", std::make_shared<DenseLinear>(c.hidden_size, 2 * c.intermediate_size, bias, options));
    names_ = {"gate_up_proj", "down_proj"};
  } else {
    gate_proj = register_module("gate_proj", std::make_shared<DenseLinear>(c.hidden_size, c.intermediate_size, bias, options));
    up_proj = register_module("up_proj", std::make_shared<DenseLinear>(c.hidden_size, c.intermediate_size, bias, options));
    names_ = {"gate_proj", "up_proj", "down_proj"};
  }
  down_proj = register_module("down_proj", std::make_shared<DenseLinear>(c.intermediate_size, c.hidden_size, bias, options));
}

torch::Tensor LlamaMlpImpl::act(const torch::Tensor& x) const {
  return gelu_tanh_ ? torch::gelu(x, "tanh") : torch::silu(x);
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x) {
  if (gate_up_proj) {
    auto gu = gate_up_proj->forward(x);                     // (B, T, 2·I)
    const int64_t inter = gu.size(-1) / 2;
    auto gate = act(gu.narrow(-1, 0, inter));               // (B, T, I), first half
    return down_proj->forward(gu.narrow(-1, inter, inter) * gate);  // (B, T, H)
  }
  auto gate = act(gate_proj->forward(x));                   // (B, T, I)
  return down_proj->forward(gate * up_proj->forward(x));    // (B, T, H)
}

std::shared_ptr<LinearLike>& LlamaMlpImpl::slot(const std::string& name) {
  if (gate_up_proj && name == "gate_up_proj") return gate_up_proj;
  if (!gate_up_proj) {
    if (name == "gate_proj") return gate_proj;
    if (name == "up_proj") return up_proj;
  }
  if (name == "down_proj") return down_proj;
  std::string expected;
  for (const auto& n : names_) expected += (expected.empty() ? "" : ", ") + n;
  throw Error(Diagnostic{{}, name, "no such MLP projection", name, expected, {}});
}

std::shared_ptr<LinearLike> LlamaMlpImpl::projection(const std::string& name) const {
  return const_cast<LlamaMlpImpl*>(this)->slot(name);
}

void LlamaMlpImpl::set_projection(const std::string& name, std::shared_ptr<LinearLike> layer) {
  auto& s = slot(name);
  s = replace_module(name, std::move(layer));
}

}  // namespace axolotl::model
