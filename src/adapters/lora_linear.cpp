// LoraLinear: PEFT's lora.Linear forward, init and scaling (FORMATS.md §3.4).
#include "axolotl/adapters/lora_linear.h"

#include <cmath>
#include <string>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"

namespace axolotl::adapters {

namespace {

// x cast to the adapter's dtype, shared by the adapters that read the same input (q/k/v, gate/up):
// one saved float32 copy of a bf16 activation per layer input instead of one per projection. Keyed
// by the tensor, its version and grad mode, so a changed or differently-traced input is cast anew.
torch::Tensor cast_input(const torch::Tensor& x, torch::ScalarType dtype) {
  if (x.scalar_type() == dtype) return x;
  struct Memo {
    torch::Tensor source, cast;
    int64_t version = 0;
    bool grad_mode = false;
  };
  thread_local Memo memo;
  const bool grad_mode = torch::GradMode::is_enabled();
  if (memo.source.defined() && memo.source.unsafeGetTensorImpl() == x.unsafeGetTensorImpl() &&
      memo.version == x._version() && memo.grad_mode == grad_mode && memo.cast.scalar_type() == dtype) {
    return memo.cast;
  }
  memo = Memo{x, x.to(dtype), x._version(), grad_mode};
  return memo.cast;
}

}  // namespace

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
  reset_parameters();
}

void LoraLinear::reset_parameters() {
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a=√5) on (r, in): gain √(2/(1+5)), bound = gain·√(3/in) = 1/√in (torch nn.init).
  const double bound = 1.0 / std::sqrt(static_cast<double>(lora_A->weight.size(1)));
  lora_A->weight.uniform_(-bound, bound);  // (r, in)
  lora_B->weight.zero_();                  // (out, r)
}

torch::Tensor LoraLinear::forward(const torch::Tensor& x) {
  auto result = base_layer->forward(x);  // (..., out)
  if (adapters_disabled()) return result;  // the reference pass of preference training (adapter_switch.h)
  const auto result_dtype = result.scalar_type();
  auto h = cast_input(x, lora_A->weight.scalar_type());  // x cast to lora_A's dtype
  // lora_A's gradient reads x again (the base layer keeps it) instead of a saved float32 copy or, with
  // dropout, the dropped copy and its noise (cpu_gemm.h). QAT's fake-quantized lora_A takes its own path.
  const double dropout = spec_.dropout > 0.0 && is_training() ? spec_.dropout : 0.0;
  const bool plain = !(lora_A->fake_quant && lora_A->fake_quant->enabled);
  torch::Tensor down;  // (..., r)
  if (plain && (dropout > 0.0 || h.scalar_type() != x.scalar_type())) {
    down = model::linear_of_widened(h, lora_A->weight, x, dropout);
  } else {
    down = lora_A->forward(dropout > 0.0 ? torch::dropout(h, dropout, true) : h);
  }
  const auto lora = lora_B->forward(down);  // (..., out) float32
  return torch::add(result, lora, scaling_).to(result_dtype);  // result + scaling·lora, one pass
}

torch::Tensor LoraLinear::delta_weight() const {
  torch::NoGradGuard no_grad;
  return lora_B->weight.to(torch::kFloat32).matmul(lora_A->weight.to(torch::kFloat32)) * scaling_;  // (out, in)
}

}  // namespace axolotl::adapters
