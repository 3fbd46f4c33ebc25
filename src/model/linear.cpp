// DenseLinear and TokenEmbedding: the plain layers of the HF LLaMA layout.
#include "axolotl/model/linear.h"

#include "axolotl/model/cpu_gemm.h"

namespace axolotl::model {

DenseLinear::DenseLinear(int64_t in, int64_t out, bool with_bias, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out, in}, options));  // (out, in)
  if (with_bias) bias = register_parameter("bias", torch::zeros({out}, options));  // (out)
}

torch::Tensor DenseLinear::forward(const torch::Tensor& x) {
  return model::linear(x, weight, bias);  // (..., out)
}

TokenEmbeddingImpl::TokenEmbeddingImpl(int64_t vocab, int64_t dim, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({vocab, dim}, options));  // (V, H)
}

torch::Tensor TokenEmbeddingImpl::forward(const torch::Tensor& ids) {
  return torch::embedding(weight, ids);  // (B, T, H)
}

}  // namespace axolotl::model
