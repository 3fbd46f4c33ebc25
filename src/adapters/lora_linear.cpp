// LoraLinear: PEFT's lora.Linear forward, init and scaling (FORMATS.md §3.4).
#include "axolotl/adapters/lora_linear.h"

#include <cmath>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::adapters {

double LoraSpec::scaling() const {
  return use_rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

LoraLinear::LoraLinear(std::shared_ptr<model::LinearLike> base, const LoraSpec& spec)
    : spec_(spec), scaling_(spec.scaling()) {
  if (!base) throw Error("LoraLinear: no base layer");
  if (spec.rank <= 0) {
    Diagnostic d;
    d.key = "lora_r";
    d.message = "LoRA rank must be positive";
    d.found = std::to_string(spec.rank);
    throw Error(d);
  }
  const int64_t in = base->in_features();
  const int64_t out = base->out_features();
  torch::Device device = torch::kCPU;
  for (const auto& p : base->parameters()) device = p.device();
  // Trainable parameters stay float32 whatever the base dtype (the trainer's optimizer expects it).
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  base_layer = register_module("base_layer", std::move(base));
  for (auto& p : base_layer->parameters()) p.set_requires_grad(false);
  lora_A = register_module("lora_A", std::make_shared<model::DenseLinear>(in, spec.rank, false, options));
  lora_B = register_module("lora_B", std::make_shared<model::DenseLinear>(spec.rank, out, false, options));
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a=√5) on (r, in): gain √(2/(1+5)), bound = gain·√(3/in) = 1/√in (torch nn.init).
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  lora_A->weight.uniform_(-bound, bound);  // (r, in)
  lora_B->weight.zero_();                  // (out, r)
}

torch::Tensor LoraLinear::forward(const torch::Tensor& x) {
  auto result = base_layer->forward(x);  // (..., out)
  const auto result_dtype = result.scalar_type();
  auto h = x.to(lora_A->weight.scalar_type());  // x cast to lora_A's dtype
  if (spec_.dropout > 0.0) h = torch::dropout(h, spec_.dropout, is_training());
  const auto lora = lora_B->forward(lora_A->forward(h)) * scaling_;  // (..., out) float32
  return (result + lora).to(result_dtype);
}

torch::Tensor LoraLinear::delta_weight() const {
  torch::NoGradGuard no_grad;
  return lora_B->weight.to(torch::kFloat32).matmul(lora_A->weight.to(torch::kFloat32)) * scaling_;  // (out, in)
}

}  // namespace axolotl::adapters
