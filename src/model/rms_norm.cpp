// RMSNorm (HF LlamaRMSNorm / Meta llama RMSNorm: `_norm(x.float()).type_as(x) * weight`), with a
// hand-written backward: it keeps only x and the per-row 1/rms for backward instead of autograd's
// float32 copies of x and of the normalised rows (~3 MB per norm and 1k tokens of a 2048-wide bf16
// model), and takes fewer passes over the activations.
#include "axolotl/model/rms_norm.h"

namespace axolotl::model {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    const auto x32 = x.to(torch::kFloat32);                                          // (..., H)
    const auto inv_rms = torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);  // (..., 1)
    ctx->save_for_backward({x, weight, inv_rms});
    return weight * (x32 * inv_rms).to(x.scalar_type());  // (..., H), cast before the weight
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& inv_rms = saved[2];  // (..., 1)
    const auto& g = grads[0];        // (..., H)
    const auto x32 = x.to(torch::kFloat32);  // (..., H), widened once for both gradients
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(1)) {
      const auto normed = (x32 * inv_rms).to(x.scalar_type());                              // (..., H)
      gw = (g * normed).reshape({-1, g.size(-1)}).sum(0).to(weight.scalar_type());         // (H)
    }
    if (ctx->needs_input_grad(0)) {
      // y = x·r with r = (mean(x²) + eps)^-1/2:  dx = r·dy - x·r³·mean(dy·x)   (in float32)
      const auto dy = (g * weight).to(torch::kFloat32);                                     // (..., H)
      const auto dot = (dy * x32).mean(-1, /*keepdim=*/true);                               // (..., 1)
      gx = (dy * inv_rms).sub_(x32 * (inv_rms.pow(3) * dot)).to(x.scalar_type());           // (..., H)
    }
    return {gx, gw, torch::Tensor()};
  }
};

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, const torch::TensorOptions& options, bool unit_offset_)
    : eps(eps_), unit_offset(unit_offset_) {
  weight = register_parameter("weight", unit_offset ? torch::zeros({dim}, options) : torch::ones({dim}, options));  // (H)
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  if (unit_offset) {  // Gemma2RMSNorm / Gemma3RMSNorm: (x·r)·(1 + w) in float32, then cast (autograd)
    const auto x32 = x.to(torch::kFloat32);                                                // (..., H)
    const auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);  // (..., H)
    return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());              // (..., H)
  }
  return RmsNormFunction::apply(x, weight, eps);  // (..., H)
}

}  // namespace axolotl::model
