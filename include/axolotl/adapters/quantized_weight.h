// Quantized frozen weights as torch tensors: Nf4Weight (FORMATS.md §4.2–4.3, over nf4.h's core) and
// Int8Weight (int8 with per-row absmax scales; no LLM.int8() outlier decomposition). Values, not
// modules: copies share storage. Dequantization runs on the tensors' device.
#pragma once

#include <torch/torch.h>

#include "axolotl/adapters/nf4.h"

namespace axolotl::adapters {

// A 4-bit NF4 weight (out, in) as torch tensors on one device: the §4.2 packed codes plus plain or
// double-quantized absmax (§4.3).
class Nf4Weight {
 public:
  // Quantizes `weight` (out, in), any float dtype (computed in float32 on CPU).
  static Nf4Weight quantize(const torch::Tensor& weight, int blocksize, bool double_quant);
  // The dense weight (out, in) in `dtype`: code[nibble] * absmax in float32, then cast (§4.2 step 5).
  torch::Tensor dequantize(torch::ScalarType dtype) const;
  // The absmax of every block, float32 (blocks).
  torch::Tensor block_absmax() const;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int blocksize() const { return blocksize_; }
  bool nested() const { return nested_; }
  const torch::Tensor& packed() const { return packed_; }  // uint8 ((n+1)/2)
  int64_t storage_bytes() const;                            // packed + absmax (+ absmax2 + offset)
  void to(torch::Device device);

 private:
  friend struct Nf4WeightState;  // saves/restores the fields in autograd contexts
  int64_t rows_ = 0, cols_ = 0;
  int blocksize_ = nf4::kDefaultBlocksize;
  bool nested_ = false;
  torch::Tensor packed_;   // uint8 ((n+1)/2)
  torch::Tensor absmax_;   // float32 (blocks), or uint8 dynamic-map codes (blocks) when nested
  torch::Tensor absmax2_;  // float32 (ceil(blocks/256)), nested only
  torch::Tensor dyn_map_;  // float32 (256), nested only
  float offset_ = 0.0f;    // nested only
};

// int8 weight (out, in) with scale[r] = max|W[r,:]| / 127 (float32, out); W ≈ q · scale.
class Int8Weight {
 public:
  static Int8Weight quantize(const torch::Tensor& weight);
  torch::Tensor dequantize(torch::ScalarType dtype) const;  // (out, in)
  const torch::Tensor& data() const { return data_; }       // int8 (out, in)
  const torch::Tensor& scale() const { return scale_; }     // float32 (out)
  int64_t storage_bytes() const;
  void to(torch::Device device);

 private:
  friend struct Int8WeightState;
  torch::Tensor data_;
  torch::Tensor scale_;
};

}  // namespace axolotl::adapters
