// Fake quantization for quantization-aware training: quantize then dequantize in the input's dtype,
// with torchao's formulas (torchao/quantization/qat/fake_quantizer.py, quant_primitives.py) and its
// straight-through gradients (rounding passes the gradient, clamps mask it, scales stay differentiable
// where torchao's are). float8 e4m3fn rounding is emulated (no float8 dtype in this LibTorch).
#pragma once

#include <torch/torch.h>

#include <optional>

namespace axolotl::model {

// round(x) forward, identity backward (torchao _Round).
torch::Tensor round_ste(const torch::Tensor& x);
// x (float32, |x| <= 448) rounded to the nearest float8_e4m3fn value (ties to even), identity
// backward (torchao _RoundToFloat8). Values stay float32.
torch::Tensor round_to_e4m3_ste(const torch::Tensor& x);

// torchao Float8FakeQuantizer, PerRow granularity: one scale max|x|/448 per row of the last dim
// (per token for activations, per output row for weights); hp_value_lb clamps max|x| from below.
torch::Tensor fake_quant_float8_rowwise(const torch::Tensor& x, std::optional<double> hp_value_lb = std::nullopt);
// torchao Int4WeightFakeQuantizer with activation_dtype float8_e4m3fn: rowwise float8 (lb 1e-12), then
// symmetric int4 groups of `group_size` along in_features (scale max|w|/8, q in [-8, 7]). w (out, in).
torch::Tensor fake_quant_int4_fp8_path(const torch::Tensor& w, int64_t group_size);
// torchao Int4WeightFakeQuantizer with activation_dtype bfloat16: asymmetric int4 groups (q in [0, 15],
// scale (max - min)/15, shifted by 8 as MSLK stores it), computed in float32. w (out, in).
torch::Tensor fake_quant_int4_bf16_path(const torch::Tensor& w, int64_t group_size);
// torchao IntxFakeQuantizer(int8, per_token, asymmetric): dynamic scale and zero point per row of the
// last dim, chosen under no_grad (choose_qparams_affine), q in [-128, 127].
torch::Tensor fake_quant_int8_per_token(const torch::Tensor& x);

// What one layer kind fakes: the weight recipe, the input recipe, and a switch shared by every layer
// (fake_quant_after_n_steps turns it on). Off = the plain layer.
enum class WeightFakeQuant { kNone, kInt4Fp8Path, kInt4Bf16Path, kFloat8Row };
enum class InputFakeQuant { kNone, kInt8PerToken, kFloat8Row };

struct FakeQuantizer {
  WeightFakeQuant weight_kind = WeightFakeQuant::kNone;
  InputFakeQuant input_kind = InputFakeQuant::kNone;
  int64_t group_size = 32;
  bool enabled = true;

  torch::Tensor weight(const torch::Tensor& w) const;  // (out, in) -> (out, in)
  torch::Tensor input(const torch::Tensor& x) const;   // (..., in) -> (..., in)
};

}  // namespace axolotl::model
