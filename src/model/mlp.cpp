// LlamaMlp (HF modeling_llama.py LlamaMLP, act = silu).
#include "axolotl/model/mlp.h"

#include "axolotl/util/error.h"

namespace axolotl::model {

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& c, const torch::TensorOptions& options) {
  const bool bias = c.mlp_bias;
  gate_proj = register_module("gate_proj", std::make_shared<DenseLinear>(c.hidden_size, c.intermediate_size, bias, options));
  up_proj = register_module("up_proj", std::make_shared<DenseLinear>(c.hidden_size, c.intermediate_size, bias, options));
  down_proj = register_module("down_proj", std::make_shared<DenseLinear>(c.intermediate_size, c.hidden_size, bias, options));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x) {
  auto gate = torch::silu(gate_proj->forward(x));  // (B, T, I)
  return down_proj->forward(gate * up_proj->forward(x));  // (B, T, H)
}

std::shared_ptr<LinearLike>& LlamaMlpImpl::slot(const std::string& name) {
  if (name == "gate_proj") return gate_proj;
  if (name == "up_proj") return up_proj;
  if (name == "down_proj") return down_proj;
  throw Error(Diagnostic{{}, name, "no such MLP projection", name, "gate_proj, up_proj or down_proj", {}});
}

std::shared_ptr<LinearLike> LlamaMlpImpl::projection(const std::string& name) const {
  return const_cast<LlamaMlpImpl*>(this)->slot(name);
}

void LlamaMlpImpl::set_projection(const std::string& name, std::shared_ptr<LinearLike> layer) {
  auto& s = slot(name);
  s = replace_module(name, std::move(layer));
}

}  // namespace axolotl::model
