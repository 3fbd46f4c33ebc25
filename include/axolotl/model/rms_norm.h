// RMSNorm with HF LlamaRMSNorm semantics (FORMATS.md §2.3): normalise in float32, cast back to the
// input dtype, THEN multiply by the weight. With `unit_offset` (Gemma, FORMATS2.md §5) the normalised
// float32 rows are multiplied by (1 + w) in float32 and then cast.
#pragma once

#include <torch/torch.h>

namespace axolotl::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps, const torch::TensorOptions& options, bool unit_offset = false);
  torch::Tensor forward(const torch::Tensor& x);  // (..., H) -> (..., H)
  torch::Tensor weight;                           // (H), initialised to 1 (0 with unit_offset)
  double eps;
  bool unit_offset;
};
TORCH_MODULE(RMSNorm);

}  // namespace axolotl::model
