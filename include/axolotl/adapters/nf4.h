// NF4 4-bit blockwise quantization with double-quantized scales, as bitsandbytes' quantize_4bit
// (FORMATS.md §4.1–4.3). Torch-free core math over float arrays; quantized_weight.h wraps it for
// tensors. Limits: NF4 only (no FP4); scaling divides by absmax as §4.2 states (bnb's kernels
// multiply by 1/absmax, which can differ by one ulp and so move an exact tie to the other code).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace axolotl::adapters::nf4 {

// The 16 NF4 code values, index = 4-bit value (FORMATS.md §4.1; create_normal_map, float32).
inline constexpr std::array<float, 16> kCode = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

inline constexpr int kDefaultBlocksize = 64;
inline constexpr int kNestedBlocksize = 256;  // blocks of absmax values in double quantization
inline constexpr float kAbsmaxFloor = 1e-38f;  // absmax is clamped to at least this (§4.2 step 2)
inline constexpr uint8_t kZeroCode = 7;        // pads an odd element count (§4.2 step 4)

// Throws Error unless blocksize is one of bitsandbytes' 32, 64, ..., 4096.
void check_blocksize(int blocksize);

// Index of the code nearest to v, v in [-1, 1] after clamping; a value on a midpoint goes to the
// lower index (the CUDA kernel's `x > threshold` tree). NaN maps to code 7 (0.0).
uint8_t nearest_code(float v);

// The signed 8-bit dynamic map of bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7,
// total_bits=8) (§4.3): 256 float32 values sorted ascending, computed in float32 as torch does.
const std::array<float, 256>& dynamic_map();
// Index of the dynamic-map value nearest to v (clamped to [-1, 1]); ties go to the lower index.
uint8_t nearest_dynamic(float v);

// Absmax scales after double quantization (§4.3): absmax[i] = dyn[q[i]] * absmax2[i / 256] + offset.
struct NestedAbsmax {
  std::vector<uint8_t> q;        // one per 64-block
  std::vector<float> absmax2;    // one per 256 absmax values
  float offset = 0.0f;           // mean of the original absmax values
};

// A quantized weight of n elements: packed codes plus either plain or nested absmax.
struct Quantized {
  int64_t numel = 0;
  int blocksize = kDefaultBlocksize;
  std::vector<uint8_t> packed;   // (n + 1) / 2 bytes, element 2k in the high nibble
  std::vector<float> absmax;     // one per block; empty when nested
  bool nested = false;
  NestedAbsmax nested_absmax;

  int64_t blocks() const { return (numel + blocksize - 1) / blocksize; }
  // Bytes of packed codes + scales (what replaces the dense weight in memory).
  int64_t storage_bytes() const;
};

// Quantizes x[0..n) (row-major weight, float32) in blocks of `blocksize`; with double_quant the
// absmax values are quantized again (§4.3).
Quantized quantize(const float* x, int64_t n, int blocksize = kDefaultBlocksize, bool double_quant = true);

// Double quantization of absmax values alone, and its inverse.
NestedAbsmax quantize_absmax(const std::vector<float>& absmax);
std::vector<float> dequantize_absmax(const NestedAbsmax& nested, int64_t count);

// The absmax of every block (recovered from the nested form when needed).
std::vector<float> block_absmax(const Quantized& q);

// Writes the float32 dequantized values of elements [begin, end) to out[0..end-begin) (§4.2 step 5):
// code[nibble(j)] * absmax[j / blocksize].
void dequantize_range(const uint8_t* packed, const float* absmax, int blocksize, int64_t begin, int64_t end,
                      float* out);
// Dequantizes all n elements into out.
void dequantize(const Quantized& q, float* out);

}  // namespace axolotl::adapters::nf4
