// The projection interface of attention and MLP, so adapters can swap a layer in place. Every q/k/v/o
// and gate/up/down projection is a registered submodule held as std::shared_ptr<LinearLike>; LoRA,
// QLoRA (NF4) or 8-bit layers derive from LinearLike and replace one with the owner's
// `set_projection(name, layer)` (which calls Module::replace_module, so parameter names follow the
// new module's own registrations, e.g. q_proj.base_layer.weight / q_proj.lora_A.weight).
#pragma once

#include <torch/torch.h>

#include <memory>

#include "axolotl/model/fake_quant.h"

namespace axolotl::model {

class LinearLike : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;  // (..., in) -> (..., out)
  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
};

// y = x·Wᵀ + b with W stored [out, in] like nn.Linear (FORMATS.md §2.2). Parameters are created
// uninitialised with `options` (dtype/device), to be filled by the weight loader or init functions.
class DenseLinear : public LinearLike {
 public:
  DenseLinear(int64_t in, int64_t out, bool bias, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;  // (..., in) -> (..., out)
  int64_t in_features() const override { return weight.size(1); }
  int64_t out_features() const override { return weight.size(0); }

  torch::Tensor weight;  // (out, in)
  torch::Tensor bias;    // (out) or undefined
  // QAT (adapters/qat.h): when set and enabled, forward fakes the input and the weight; the stored
  // weight stays the plain trained one.
  std::shared_ptr<FakeQuantizer> fake_quant;
};

// Token embedding table registered as "weight" (V, H), created uninitialised like DenseLinear.
class TokenEmbeddingImpl : public torch::nn::Module {
 public:
  TokenEmbeddingImpl(int64_t vocab, int64_t dim, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& ids);  // (B, T) int64 -> (B, T, H)
  torch::Tensor weight;                             // (V, H)
  std::shared_ptr<FakeQuantizer> fake_quant;        // QAT quantize_embedding: the table is faked per group
};
TORCH_MODULE(TokenEmbedding);

}  // namespace axolotl::model
