// Nf4Weight and Int8Weight: quantized weights as tensors (FORMATS.md §4.2–4.3 for NF4).
#include "axolotl/adapters/quantized_weight.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::adapters {
namespace {

template <typename T>
torch::Tensor tensor_from(const std::vector<T>& values, torch::ScalarType dtype) {
  auto t = torch::empty({static_cast<int64_t>(values.size())}, torch::TensorOptions().dtype(dtype));
  if (!values.empty()) std::memcpy(t.data_ptr(), values.data(), values.size() * sizeof(T));
  return t;
}

void require_matrix(const torch::Tensor& weight, const char* what) {
  if (weight.dim() != 2 || !weight.is_floating_point()) {
    throw Error(std::string(what) + ": expected a 2-D floating-point weight (out, in), got " +
                std::to_string(weight.dim()) + "-D " + std::string(c10::toString(weight.scalar_type())));
  }
}

// NF4 codes -> T, one block at a time: the block's 16 values code·absmax are computed once in float32
// and rounded to T (so each element is exactly float32(code·absmax) cast to T, as nf4::dequantize_range
// followed by .to(T) gives), then every byte is two table lookups. Blocks are split over threads.
template <typename T>
void decode_blocks(const uint8_t* packed, const float* scales, int64_t blocksize, int64_t n, T* dst) {
  const int64_t blocks = (n + blocksize - 1) / blocksize;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / blocksize);
  at::parallel_for(0, blocks, grain, [&](int64_t first, int64_t last) {
    T table[16];
    for (int64_t b = first; b < last; ++b) {
      for (int c = 0; c < 16; ++c) table[c] = static_cast<T>(nf4::kCode[static_cast<size_t>(c)] * scales[b]);
      const int64_t begin = b * blocksize, end = std::min(n, begin + blocksize);  // even: blocksize is 32 ... 4096
      int64_t i = begin;
      for (; i + 1 < end; i += 2) {
        const uint8_t byte = packed[i / 2];
        dst[i] = table[byte >> 4];
        dst[i + 1] = table[byte & 0x0F];
      }
      if (i < end) dst[i] = table[packed[i / 2] >> 4];  // the odd last element: a high nibble
    }
  });
}

}  // namespace

Nf4Weight Nf4Weight::quantize(const torch::Tensor& weight, int blocksize, bool double_quant) {
  require_matrix(weight, "NF4 quantization");
  const auto w = weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();  // (out, in)
  const nf4::Quantized q = nf4::quantize(w.data_ptr<float>(), w.numel(), blocksize, double_quant);
  Nf4Weight out;
  out.rows_ = weight.size(0);
  out.cols_ = weight.size(1);
  out.blocksize_ = blocksize;
  out.nested_ = double_quant;
  out.packed_ = tensor_from(q.packed, torch::kUInt8);  // ((n+1)/2)
  if (double_quant) {
    out.absmax_ = tensor_from(q.nested_absmax.q, torch::kUInt8);           // (blocks)
    out.absmax2_ = tensor_from(q.nested_absmax.absmax2, torch::kFloat32);  // (ceil(blocks/256))
    const auto& dyn = nf4::dynamic_map();
    out.dyn_map_ = tensor_from(std::vector<float>(dyn.begin(), dyn.end()), torch::kFloat32);  // (256)
    out.offset_ = q.nested_absmax.offset;
  } else {
    out.absmax_ = tensor_from(q.absmax, torch::kFloat32);  // (blocks)
  }
  out.to(weight.device());
  return out;
}

torch::Tensor Nf4Weight::block_absmax() const {
  if (!nested_) return absmax_;
  // absmax[i] = dyn[q[i]] * absmax2[i / 256] + offset (§4.3), in float32.
  const int64_t blocks = absmax_.numel();
  auto scale2 = absmax2_.repeat_interleave(nf4::kNestedBlocksize).slice(0, 0, blocks);  // (blocks)
  return dyn_map_.index_select(0, absmax_.to(torch::kLong)) * scale2 + offset_;
}

torch::Tensor Nf4Weight::dequantize(torch::ScalarType dtype) const {
  const int64_t n = rows_ * cols_;
  const auto absmax = block_absmax().contiguous();  // (blocks)
  if (packed_.device().is_cpu()) {
    // Written in the asked dtype: no float32 copy of the whole matrix (bitsandbytes' dequantize also
    // writes the compute dtype directly).
    const bool direct = dtype == torch::kFloat32 || dtype == torch::kBFloat16 || dtype == torch::kHalf;
    auto out = torch::empty({rows_, cols_}, torch::TensorOptions().dtype(direct ? dtype : torch::kFloat32));  // (out, in)
    const uint8_t* packed = packed_.data_ptr<uint8_t>();
    const float* scales = absmax.data_ptr<float>();
    switch (out.scalar_type()) {
      case torch::kBFloat16: decode_blocks(packed, scales, blocksize_, n, out.data_ptr<c10::BFloat16>()); break;
      case torch::kHalf: decode_blocks(packed, scales, blocksize_, n, out.data_ptr<c10::Half>()); break;
      default: decode_blocks(packed, scales, blocksize_, n, out.data_ptr<float>()); break;
    }
    return direct ? out : out.to(dtype);
  }
  // Other devices: the same lookup with tensor ops. (2·P) codes, high nibble first.
  auto codes = torch::stack({packed_.bitwise_right_shift(4), packed_.bitwise_and(15)}, 1).view({-1});
  codes = codes.slice(0, 0, n).to(torch::kLong);                                            // (n)
  auto table = torch::tensor(std::vector<float>(nf4::kCode.begin(), nf4::kCode.end())).to(packed_.device());
  auto scales = absmax.repeat_interleave(blocksize_).slice(0, 0, n);                        // (n)
  return (table.index_select(0, codes) * scales).view({rows_, cols_}).to(dtype);
}

int64_t Nf4Weight::storage_bytes() const {
  int64_t bytes = packed_.numel() + absmax_.numel() * static_cast<int64_t>(absmax_.element_size());
  if (nested_) bytes += absmax2_.numel() * 4 + 4;  // absmax2 + offset (the 256-entry map is shared data)
  return bytes;
}

void Nf4Weight::to(torch::Device device) {
  packed_ = packed_.to(device);
  absmax_ = absmax_.to(device);
  if (nested_) {
    absmax2_ = absmax2_.to(device);
    dyn_map_ = dyn_map_.to(device);
  }
}

Int8Weight Int8Weight::quantize(const torch::Tensor& weight) {
  require_matrix(weight, "8-bit quantization");
  const auto w = weight.detach().to(torch::kFloat32);                // (out, in)
  const auto absmax = w.abs().amax(1).clamp_min(nf4::kAbsmaxFloor);  // (out)
  Int8Weight out;
  out.scale_ = absmax / 127.0f;                                      // (out)
  out.data_ = (w / out.scale_.unsqueeze(1)).round().clamp(-127, 127).to(torch::kInt8);  // (out, in)
  return out;
}

torch::Tensor Int8Weight::dequantize(torch::ScalarType dtype) const {
  return (data_.to(torch::kFloat32) * scale_.unsqueeze(1)).to(dtype);  // (out, in)
}

int64_t Int8Weight::storage_bytes() const { return data_.numel() + scale_.numel() * 4; }

void Int8Weight::to(torch::Device device) {
  data_ = data_.to(device);
  scale_ = scale_.to(device);
}

}  // namespace axolotl::adapters
