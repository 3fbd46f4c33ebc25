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

// x (float32, |x| <= 6) rounded to the nearest float4 e2m1 value (0, 0.5, 1, 1.5, 2, 3, 4, 6; ties to even,
// as torchao's f32_to_f4_unpacked). Values stay float32.
torch::Tensor round_to_e2m1(const torch::Tensor& x);
// torchao NVFP4Tensor.to_nvfp4 with a dynamic per-tensor scale (amax/(448*6)) then dequantize: blocks of 16
// along the last dim, each with an e4m3 scale relative to the per-tensor one, elements in e2m1. The
// gradient is the identity (NVFP4FakeQuantizedLinear's backward multiplies by the dequantized operands).
// x (..., K), K a multiple of 16.
torch::Tensor fake_quant_nvfp4(const torch::Tensor& x);
// torchao MXTensor.to_mx(float4_e2m1fn_x2, block 32, RCEIL) then dequantize: blocks of 32 along the last
// dim, each with a power-of-two (e8m0) scale 2^ceil(log2(max/6)), elements in e2m1; identity gradient
// (MXFakeQuantizedLinear's backward). x (..., K), K a multiple of 32.
torch::Tensor fake_quant_mxfp4(const torch::Tensor& x);

// What one layer kind fakes: the weight recipe, the input recipe, and a switch shared by every layer
// (fake_quant_after_n_steps turns it on). Off = the plain layer.
enum class WeightFakeQuant { kNone, kInt4Fp8Path, kInt4Bf16Path, kFloat8Row, kNvfp4, kMxfp4 };
enum class InputFakeQuant { kNone, kInt8PerToken, kFloat8Row, kNvfp4, kMxfp4 };

struct FakeQuantizer {
  WeightFakeQuant weight_kind = WeightFakeQuant::kNone;
  InputFakeQuant input_kind = InputFakeQuant::kNone;
  int64_t group_size = 32;  // int4 groups; the fp4 kinds have fixed blocks (16 nvfp4, 32 mxfp4)
  bool enabled = true;

  // The width every input to a layer must be a multiple of (group or block size); 1 when anything goes.
  int64_t width_multiple() const;

  torch::Tensor weight(const torch::Tensor& w) const;  // (out, in) -> (out, in)
  torch::Tensor input(const torch::Tensor& x) const;   // (..., in) -> (..., in)
};

}  // namespace axolotl::model
