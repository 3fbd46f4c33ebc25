// RMSNorm with HF LlamaRMSNorm semantics (FORMATS.md §2.3): normalise in float32, cast back to the
// input dtype, THEN multiply by the weight.
#pragma once

#include <torch/torch.h>

namespace axolotl::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // (..., H) -> (..., H)
  torch::Tensor weight;                           // (H), initialised to 1
  double eps;
};
TORCH_MODULE(RMSNorm);

}  // namespace axolotl::model
