// Frozen quantized bases for QLoRA and 8-bit LoRA: Nf4Linear (bitsandbytes Linear4bit semantics,
// FORMATS.md §4.5) and Int8Linear (int8 with per-row absmax scales). Both dequantize their weight into
// the compute dtype inside forward, one layer at a time, so only one dense copy exists at once.
// Int8Linear has no LLM.int8() outlier decomposition (llm_int8_threshold is ignored): every column
// goes through int8. The packed storage is not a parameter or buffer, so Module::to(dtype) never
// casts it; to(device) moves it.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "axolotl/adapters/quantized_weight.h"
#include "axolotl/model/linear.h"

namespace axolotl::adapters {

// Linear4bit: x cast to compute_dtype, weight dequantized to it, linear, output cast back to x's dtype.
class Nf4Linear : public model::LinearLike {
 public:
  Nf4Linear(Nf4Weight weight, torch::Tensor bias, torch::ScalarType compute_dtype);
  // Quantizes a dense layer (its weight is not kept).
  static std::shared_ptr<Nf4Linear> from_dense(const model::DenseLinear& dense, int blocksize,
                                               bool double_quant, torch::ScalarType compute_dtype);
  torch::Tensor forward(const torch::Tensor& x) override;  // (..., in) -> (..., out)
  int64_t in_features() const override { return weight_.cols(); }
  int64_t out_features() const override { return weight_.rows(); }
  const Nf4Weight& quantized() const { return weight_; }
  torch::ScalarType compute_dtype() const { return compute_dtype_; }

  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;

  torch::Tensor bias;  // (out) or undefined; a frozen parameter

 private:
  Nf4Weight weight_;
  torch::ScalarType compute_dtype_;
};

// 8-bit base: weight dequantized to x's dtype per forward.
class Int8Linear : public model::LinearLike {
 public:
  Int8Linear(Int8Weight weight, torch::Tensor bias);
  static std::shared_ptr<Int8Linear> from_dense(const model::DenseLinear& dense);
  torch::Tensor forward(const torch::Tensor& x) override;  // (..., in) -> (..., out)
  int64_t in_features() const override { return weight_.data().size(1); }
  int64_t out_features() const override { return weight_.data().size(0); }
  const Int8Weight& quantized() const { return weight_; }

  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;

  torch::Tensor bias;  // (out) or undefined; a frozen parameter

 private:
  Int8Weight weight_;
};

// The dense (out, in) weight of any base layer kind (DenseLinear, Nf4Linear, Int8Linear) in `dtype`.
torch::Tensor dense_weight(const model::LinearLike& layer, torch::ScalarType dtype);

}  // namespace axolotl::adapters
