// RMSNorm (HF LlamaRMSNorm / Meta llama RMSNorm: `_norm(x.float()).type_as(x) * weight`).
#include "axolotl/model/rms_norm.h"

namespace axolotl::model {

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, const torch::TensorOptions& options) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, options));  // (H)
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto x32 = x.to(torch::kFloat32);                                      // (..., H)
  auto variance = x32.pow(2).mean(-1, /*keepdim=*/true);                 // (..., 1)
  x32 = x32 * torch::rsqrt(variance + eps);                              // (..., H)
  return weight * x32.to(x.scalar_type());                               // (..., H), cast before weight
}

}  // namespace axolotl::model
