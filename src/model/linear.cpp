// DenseLinear and TokenEmbedding: the plain layers of the HF LLaMA layout.
#include "axolotl/model/linear.h"

#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"

namespace axolotl::model {

DenseLinear::DenseLinear(int64_t in, int64_t out, bool with_bias, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out, in}, options));  // (out, in)
  if (with_bias) bias = register_parameter("bias", torch::zeros({out}, options));  // (out)
}

torch::Tensor DenseLinear::forward(const torch::Tensor& x) {
  if (fake_quant && fake_quant->enabled) {
    return model::linear(fake_quant->input(x), fake_quant->weight(weight), bias);  // (..., out)
  }
  return model::linear(x, weight, bias);  // (..., out)
}

TokenEmbeddingImpl::TokenEmbeddingImpl(int64_t vocab, int64_t dim, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({vocab, dim}, options));  // (V, H)
}

torch::Tensor TokenEmbeddingImpl::forward(const torch::Tensor& ids) {
  // The last guard before the kernel (which would fail with "index out of range in self" on a CPU and
  // a device-side assert on a GPU): every id must name a row. Data is checked earlier with its source.
  if (ids.numel() > 0) {
    const auto [lo, hi] = torch::aminmax(ids);
    const int64_t min = lo.item<int64_t>(), max = hi.item<int64_t>();
    if (min < 0 || max >= weight.size(0)) {
      throw Error(Diagnostic{{}, "input_ids", "token id outside the embedding table",
                             std::to_string(min < 0 ? min : max), "0 .. " + std::to_string(weight.size(0) - 1),
                             "tokens added to the tokenizer need a resized embedding (tokens: / special_tokens)"});
    }
  }
  return torch::embedding(fake_quant ? fake_quant->weight(weight) : weight, ids);  // (B, T, H)
}

}  // namespace axolotl::model
