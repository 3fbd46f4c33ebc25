// Fake quantization for QAT (see fake_quant.h). Each function follows the torchao op named above it,
// op for op and dtype for dtype, so values and gradients match torchao's (tests/reference/qat_reference.py).
#include "axolotl/model/fake_quant.h"

#include <limits>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct RoundSte : torch::autograd::Function<RoundSte> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x) { return torch::round(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

// float8_e4m3fn: 3 mantissa bits, exponents -6..8, subnormals at multiples of 2^-9; the quantum of
// |x| in [2^e, 2^(e+1)) is 2^(e-3). torch.round rounds half to even, as the hardware cast does.
torch::Tensor e4m3_round(const torch::Tensor& x) {
  const torch::Tensor a = x.abs();
  const auto fe = torch::frexp(a);  // a = m * 2^e, m in [0.5, 1)
  const torch::Tensor exponent = (std::get<1>(fe) - 1).clamp_min(-6).to(torch::kFloat);  // floor(log2 a)
  const torch::Tensor quantum = torch::exp2(exponent - 3);
  return torch::sign(x) * torch::round(a / quantum) * quantum;
}

struct RoundE4m3Ste : torch::autograd::Function<RoundE4m3Ste> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x) { return e4m3_round(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

// torch.finfo(dtype).smallest_normal, choose_qparams_affine's default eps.
double smallest_normal(torch::ScalarType t) {
  if (t == torch::kHalf) return 6.103515625e-05;
  if (t == torch::kDouble) return std::numeric_limits<double>::min();
  return std::numeric_limits<float>::min();  // float32 and bfloat16 share 2^-126
}

void check_groups(const torch::Tensor& w, int64_t group_size) {
  if (w.dim() != 2 || group_size < 1 || w.size(1) % group_size != 0) {
    throw Error(Diagnostic{{}, "qat.group_size", "the weight's in_features are not a multiple of the group size",
                           w.dim() == 2 ? std::to_string(w.size(1)) : "a " + std::to_string(w.dim()) + "-d tensor",
                           "a multiple of " + std::to_string(group_size),
                           "choose a group_size that divides every linear layer's input width (torchao's view fails too)"});
  }
}

}  // namespace

torch::Tensor round_ste(const torch::Tensor& x) { return RoundSte::apply(x); }
torch::Tensor round_to_e4m3_ste(const torch::Tensor& x) { return RoundE4m3Ste::apply(x); }

// _choose_scale_float8 (PerRow) + _quantize_affine_float8 + _dequantize_affine_float8.
torch::Tensor fake_quant_float8_rowwise(const torch::Tensor& x, std::optional<double> hp_value_lb) {
  const auto dtype = x.scalar_type();
  torch::Tensor max_abs = x.abs().amax(-1, /*keepdim=*/true);  // (..., 1) in x's dtype
  if (hp_value_lb) max_abs = torch::clamp_min(max_abs, *hp_value_lb);
  const torch::Tensor scale = (max_abs / 448.0).to(torch::kFloat);  // e4m3fn max = 448
  const torch::Tensor scaled = (x.to(torch::kFloat) / scale).clamp(-448.0, 448.0);
  return (round_to_e4m3_ste(scaled) * scale).to(dtype);  // (..., n)
}

// Int4WeightFakeQuantizer._fp8_activations_forward (MSLK int4_row_quantize after fp8_quantize_row).
torch::Tensor fake_quant_int4_fp8_path(const torch::Tensor& w, int64_t group_size) {
  check_groups(w, group_size);
  const torch::Tensor w8 = fake_quant_float8_rowwise(w, 1e-12);           // (out, in), w's dtype
  const torch::Tensor g = w8.view({w.size(0), -1, group_size});           // (out, n_groups, group)
  const torch::Tensor scale = torch::clamp_min(g.abs().amax(-1, true) / 8, 1e-6);  // (out, n_groups, 1)
  const torch::Tensor zero = torch::zeros_like(scale);
  const torch::Tensor q = torch::clamp(round_ste(g * scale.reciprocal()) + zero, -8, 7);
  const torch::Tensor dq = (q.to(g.scalar_type()) - zero) * scale;         // _dequantize_affine
  return dq.view(w.sizes()).to(w.scalar_type());
}

// Int4WeightFakeQuantizer._bf16_activations_forward.
torch::Tensor fake_quant_int4_bf16_path(const torch::Tensor& w, int64_t group_size) {
  check_groups(w, group_size);
  const torch::Tensor g = w.to(torch::kFloat).view({w.size(0), -1, group_size});  // (out, n_groups, group)
  const torch::Tensor max_val = g.amax(-1, true), min_val = g.amin(-1, true);     // (out, n_groups, 1)
  const torch::Tensor scale = torch::clamp_min(max_val - min_val, 1e-6) / 15;
  const torch::Tensor zero_point = min_val + scale * 8;
  torch::Tensor fq = round_ste((g - min_val) / scale).clamp(0, 15);
  fq = (fq - 8) * scale + zero_point;
  return fq.view(w.sizes()).to(w.scalar_type());
}

// choose_qparams_affine(ASYMMETRIC, per token, int8) under no_grad + _fake_quantize_per_token.
torch::Tensor fake_quant_int8_per_token(const torch::Tensor& x) {
  const auto dtype = x.scalar_type();
  torch::Tensor scale, zero_point;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor min_neg = torch::clamp_max(x.amin(-1, true), 0);  // (..., 1) in x's dtype
    const torch::Tensor max_pos = torch::clamp_min(x.amax(-1, true), 0);
    const torch::Tensor s = torch::clamp_min((max_pos - min_neg) / 255.0, smallest_normal(dtype));
    const torch::Tensor z = torch::clamp(-torch::round(min_neg / s) + (-128), -128, 127);
    scale = s.to(torch::kFloat);
    zero_point = z.to(torch::kInt);
  }
  const torch::Tensor q = torch::clamp(round_ste(x * scale.reciprocal()) + zero_point, -128, 127);
  return ((q.to(dtype) - zero_point.to(dtype)) * scale).to(dtype);  // (..., n)
}

int64_t FakeQuantizer::width_multiple() const {
  switch (weight_kind) {
    case WeightFakeQuant::kInt4Fp8Path:
    case WeightFakeQuant::kInt4Bf16Path: return group_size;
    case WeightFakeQuant::kNvfp4: return 16;
    case WeightFakeQuant::kMxfp4: return 32;
    case WeightFakeQuant::kFloat8Row:
    case WeightFakeQuant::kNone: break;
  }
  return 1;
}

torch::Tensor FakeQuantizer::weight(const torch::Tensor& w) const {
  if (!enabled) return w;
  switch (weight_kind) {
    case WeightFakeQuant::kInt4Fp8Path: return fake_quant_int4_fp8_path(w, group_size);
    case WeightFakeQuant::kInt4Bf16Path: return fake_quant_int4_bf16_path(w, group_size);
    case WeightFakeQuant::kFloat8Row: return fake_quant_float8_rowwise(w);
    case WeightFakeQuant::kNvfp4: return fake_quant_nvfp4(w);
    case WeightFakeQuant::kMxfp4: return fake_quant_mxfp4(w);
    case WeightFakeQuant::kNone: break;
  }
  return w;
}

torch::Tensor FakeQuantizer::input(const torch::Tensor& x) const {
  if (!enabled) return x;
  switch (input_kind) {
    case InputFakeQuant::kInt8PerToken: return fake_quant_int8_per_token(x);
    case InputFakeQuant::kFloat8Row: return fake_quant_float8_rowwise(x);
    case InputFakeQuant::kNvfp4: return fake_quant_nvfp4(x);
    case InputFakeQuant::kMxfp4: return fake_quant_mxfp4(x);
    case InputFakeQuant::kNone: break;
  }
  return x;
}

}  // namespace axolotl::model
