// NF4 quantization core (FORMATS.md §4.1–4.3; bitsandbytes functional.py quantize_4bit,
// quantize_blockwise, create_dynamic_map).
#include "axolotl/adapters/nf4.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::adapters::nf4 {
namespace {

// Midpoints of adjacent codes, exact in double (the sum of two floats halves without rounding).
template <size_t N>
std::array<double, N - 1> midpoints(const std::array<float, N>& code) {
  std::array<double, N - 1> mid{};
  for (size_t i = 0; i + 1 < N; ++i) mid[i] = (double{code[i]} + double{code[i + 1]}) / 2.0;
  return mid;
}

// Number of midpoints strictly below v = index of the nearest code, ties to the lower index
// (bucketize with right=False over the midpoints).
template <size_t M>
uint8_t bucket(const std::array<double, M>& mid, float v) {
  const double x = std::clamp(double{v}, -1.0, 1.0);
  return static_cast<uint8_t>(std::lower_bound(mid.begin(), mid.end(), x) - mid.begin());
}

std::array<float, 256> make_dynamic_map() {
  // create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): for i in 0..6,
  // linspace(0.1, 1, 2^i + 1) boundaries, their midpoints scaled by 10^(i-6), both signs; then 0, 1.
  // linspace values are the correctly rounded float32 of 0.1f + 0.9·k/(m-1); torch's vectorised
  // linspace can differ from these by one ulp (tested against torch within that).
  std::vector<float> data;
  for (int i = 0; i < 7; ++i) {
    const int m = (1 << i) + 1;
    const double start = double{0.1f};
    std::vector<float> bounds(static_cast<size_t>(m));
    for (int k = 0; k < m; ++k) bounds[k] = static_cast<float>(start + (1.0 - start) * k / (m - 1));
    const float scale = static_cast<float>(std::pow(10.0, i - 6));
    for (int k = 0; k + 1 < m; ++k) {
      const float mean = (bounds[k] + bounds[k + 1]) / 2.0f;
      data.push_back(scale * mean);
      data.push_back(-scale * mean);
    }
  }
  data.push_back(0.0f);
  data.push_back(1.0f);
  std::sort(data.begin(), data.end());
  std::array<float, 256> out{};
  std::copy(data.begin(), data.end(), out.begin());
  return out;
}

// Blockwise absmax of x[0..n), clamped to kAbsmaxFloor.
std::vector<float> absmax_of(const float* x, int64_t n, int blocksize) {
  const int64_t blocks = (n + blocksize - 1) / blocksize;
  std::vector<float> absmax(static_cast<size_t>(blocks), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    float& a = absmax[static_cast<size_t>(i / blocksize)];
    a = std::max(a, std::fabs(x[i]));
  }
  for (float& a : absmax) a = std::max(a, kAbsmaxFloor);
  return absmax;
}

}  // namespace

void check_blocksize(int blocksize) {
  for (int b = 32; b <= 4096; b *= 2) {
    if (blocksize == b) return;
  }
  Diagnostic d;
  d.key = "bnb_4bit_blocksize";
  d.message = "unsupported quantization block size";
  d.found = std::to_string(blocksize);
  d.expected = "one of 32, 64, 128, 256, 512, 1024, 2048, 4096";
  throw Error(d);
}

uint8_t nearest_code(float v) {
  static const auto kMid = midpoints(kCode);
  if (std::isnan(v)) return kZeroCode;
  return bucket(kMid, v);
}

const std::array<float, 256>& dynamic_map() {
  static const std::array<float, 256> kMap = make_dynamic_map();
  return kMap;
}

uint8_t nearest_dynamic(float v) {
  static const auto kMid = midpoints(dynamic_map());
  if (std::isnan(v)) v = 0.0f;
  return bucket(kMid, v);
}

int64_t Quantized::storage_bytes() const {
  int64_t bytes = static_cast<int64_t>(packed.size());
  if (nested) {
    bytes += static_cast<int64_t>(nested_absmax.q.size());
    bytes += static_cast<int64_t>(nested_absmax.absmax2.size() * sizeof(float)) + sizeof(float);
  } else {
    bytes += static_cast<int64_t>(absmax.size() * sizeof(float));
  }
  return bytes;
}

NestedAbsmax quantize_absmax(const std::vector<float>& absmax) {
  NestedAbsmax out;
  double sum = 0.0;
  for (float a : absmax) sum += a;
  out.offset = absmax.empty() ? 0.0f : static_cast<float>(sum / static_cast<double>(absmax.size()));
  std::vector<float> centred(absmax.size());
  for (size_t i = 0; i < absmax.size(); ++i) centred[i] = absmax[i] - out.offset;
  // quantize_blockwise(absmax - offset, code=dynamic map, blocksize=256)
  out.absmax2 = absmax_of(centred.data(), static_cast<int64_t>(centred.size()), kNestedBlocksize);
  out.q.resize(centred.size());
  for (size_t i = 0; i < centred.size(); ++i) {
    out.q[i] = nearest_dynamic(centred[i] / out.absmax2[i / kNestedBlocksize]);
  }
  return out;
}

std::vector<float> dequantize_absmax(const NestedAbsmax& nested, int64_t count) {
  if (static_cast<int64_t>(nested.q.size()) != count ||
      static_cast<int64_t>(nested.absmax2.size()) != (count + kNestedBlocksize - 1) / kNestedBlocksize) {
    throw Error("nested absmax has " + std::to_string(nested.q.size()) + " codes and " +
                std::to_string(nested.absmax2.size()) + " scales for " + std::to_string(count) + " blocks");
  }
  const auto& dyn = dynamic_map();
  std::vector<float> absmax(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    absmax[i] = dyn[nested.q[i]] * nested.absmax2[i / kNestedBlocksize] + nested.offset;
  }
  return absmax;
}

Quantized quantize(const float* x, int64_t n, int blocksize, bool double_quant) {
  check_blocksize(blocksize);
  Quantized q;
  q.numel = n;
  q.blocksize = blocksize;
  q.absmax = absmax_of(x, n, blocksize);
  q.packed.assign(static_cast<size_t>((n + 1) / 2), 0);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t code = nearest_code(x[i] / q.absmax[i / blocksize]);
    q.packed[i / 2] |= (i % 2 == 0) ? static_cast<uint8_t>(code << 4) : code;
  }
  if (n % 2 == 1) q.packed.back() |= kZeroCode;
  if (double_quant) {
    q.nested = true;
    q.nested_absmax = quantize_absmax(q.absmax);
    q.absmax.clear();
    q.absmax.shrink_to_fit();
  }
  return q;
}

std::vector<float> block_absmax(const Quantized& q) {
  return q.nested ? dequantize_absmax(q.nested_absmax, q.blocks()) : q.absmax;
}

void dequantize_range(const uint8_t* packed, const float* absmax, int blocksize, int64_t begin, int64_t end,
                      float* out) {
  for (int64_t i = begin; i < end; ++i) {
    const uint8_t byte = packed[i / 2];
    const uint8_t code = (i % 2 == 0) ? (byte >> 4) : (byte & 0x0F);
    out[i - begin] = kCode[code] * absmax[i / blocksize];
  }
}

void dequantize(const Quantized& q, float* out) {
  const std::vector<float> absmax = block_absmax(q);
  dequantize_range(q.packed.data(), absmax.data(), q.blocksize, 0, q.numel, out);
}

}  // namespace axolotl::adapters::nf4
