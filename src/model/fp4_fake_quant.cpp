// NVFP4 and MXFP4 fake quantization (see fake_quant.h), op for op as torchao 0.17's NVFP4Tensor.to_nvfp4 /
// dequantize (prototype/mx_formats/nvfp4_tensor.py) and MXTensor.to_mx(RCEIL) / to_dtype (mx_tensor.py),
// which Axolotl's pinned torchao runs for its nvfp4 / mxfp4 `qat:` recipes. Goldens:
// tests/reference/qat_reference.py. torchao's forward multiplies the fp4 operands in a Blackwell GEMM
// (fp32 accumulation) or, for MX, emulates it on the dequantized operands as done here.
#include <string>

#include "axolotl/model/fake_quant.h"
#include "axolotl/util/error.h"

namespace axolotl::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kE2m1Max = 6.0;
constexpr double kE4m3Max = 448.0;
constexpr double kE4m3Tiny = 0.015625;  // torch.finfo(float8_e4m3fn).tiny = 2^-6, torchao's E4M3_EPS
constexpr double kPtsFloor = 0x1p-100;

torch::Tensor blocks_of(const torch::Tensor& x, int64_t block, const char* format) {
  if (x.dim() < 1 || x.size(-1) % block != 0) {
    throw Error(Diagnostic{{}, "qat.weight_dtype", std::string("a layer's input width is not a multiple of the ") +
                               format + " block size", x.dim() >= 1 ? std::to_string(x.size(-1)) : "a scalar",
                           "a multiple of " + std::to_string(block), "torchao's " + std::string(format) +
                               " quantization needs it too"});
  }
  return x.to(torch::kFloat).reshape({-1, x.size(-1) / block, block});  // (N, K/block, block)
}

torch::Tensor nvfp4_values(const torch::Tensor& x) {
  const auto dtype = x.scalar_type();
  const torch::Tensor b = blocks_of(x, 16, "nvfp4");
  const torch::Tensor block_max = b.abs().amax(-1);                                          // (N, K/16)
  // per_tensor_amax_to_scale of max|x| (the largest block max: float32 holds x's values exactly); the
  // floor (not in torchao, which turns an all-zero tensor into NaN) keeps 1/pts/2^-6 finite, and
  // changes nothing unless max|x| < 2^-88.
  const torch::Tensor pts = torch::clamp_min(block_max.max() / (kE4m3Max * kE2m1Max), kPtsFloor);  // 0-dim
  const torch::Tensor block_scale = block_max / kE2m1Max;                                    // (N, K/16)
  const torch::Tensor s8 = round_to_e4m3_ste(torch::clamp(block_scale / pts, kE4m3Tiny, kE4m3Max));
  const torch::Tensor reciprocal = torch::reciprocal(pts) / s8;                              // (N, K/16)
  const torch::Tensor q = round_to_e2m1(torch::clamp(b * reciprocal.unsqueeze(-1), -kE2m1Max, kE2m1Max));
  // get_hp_scales: per_tensor_scale * scale.to(orig_dtype), a result in the original dtype.
  const torch::Tensor hp_scale = (pts * s8).to(dtype).to(torch::kFloat);                   // (N, K/16)
  return (q * hp_scale.unsqueeze(-1)).view(x.sizes()).to(dtype);
}

torch::Tensor mxfp4_values(const torch::Tensor& x) {
  const auto dtype = x.scalar_type();
  const torch::Tensor b = blocks_of(x, 32, "mxfp4");
  const torch::Tensor descale = b.abs().amax(-1, /*keepdim=*/true) / kE2m1Max;  // (N, K/32, 1)
  // _to_mx_rceil: the biased e8m0 exponent of the scale; 0 (the smallest) leaves the data unscaled.
  const torch::Tensor biased = torch::clamp(torch::ceil(torch::log2(descale)), -127, 127) + 127;
  const torch::Tensor to_lp = torch::where(biased == 0, torch::ones_like(biased), torch::exp2(127 - biased));
  const torch::Tensor q = round_to_e2m1(torch::clamp(b * to_lp, -kE2m1Max, kE2m1Max));
  // to_dtype: data.to(target) * scale.to(target), scale = 2^(e - 127).
  const torch::Tensor scale = torch::exp2(biased - 127).to(dtype);
  return (q.to(dtype) * scale).view(x.sizes());
}

struct Nvfp4Ste : torch::autograd::Function<Nvfp4Ste> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x) { return nvfp4_values(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct Mxfp4Ste : torch::autograd::Function<Mxfp4Ste> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x) { return mxfp4_values(x); }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

}  // namespace

// Within a binade [2^e, 2^(e+1)) e2m1 has one mantissa bit (quantum 2^(e-1)); below 1 the subnormal
// quantum 0.5 holds. torch.round rounds half to even, which is the even code here.
torch::Tensor round_to_e2m1(const torch::Tensor& x) {
  const torch::Tensor a = x.abs();
  const auto fe = torch::frexp(a);  // a = m * 2^e, m in [0.5, 1)
  const torch::Tensor exponent = (std::get<1>(fe) - 1).clamp_min(0).to(torch::kFloat);
  const torch::Tensor quantum = torch::exp2(exponent - 1);
  return torch::sign(x) * torch::round(a / quantum) * quantum;
}

torch::Tensor fake_quant_nvfp4(const torch::Tensor& x) { return Nvfp4Ste::apply(x); }
torch::Tensor fake_quant_mxfp4(const torch::Tensor& x) { return Mxfp4Ste::apply(x); }

}  // namespace axolotl::model
