// ggml's reference quantizers for the 32-element blocks (Q8_0, Q4_0, Q5_0, Q5_1) and their dequantizers,
// operation for operation as llama.cpp ggml/src/ggml-quants.c quantize_row_*_ref / dequantize_row_*
// (built with -ffp-contract=off like quantize.cpp; tests/reference/gguf_reference.py is the numpy port).
#include <cfloat>
#include <cmath>
#include <cstring>
#include <algorithm>

#include "axolotl/export/quantize.h"
#include "axolotl/io/half.h"

namespace axolotl::gguf {
namespace {

constexpr int kQK = 32;  // QK4_0, QK5_0, QK5_1, QK8_0

void put_f16(uint8_t* p, float v) {
  uint16_t h = io::f32_to_f16(v);
  std::memcpy(p, &h, 2);
}
float get_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return io::f16_to_f32(h);
}

}  // namespace

// block_q8_0 {f16 d; int8 qs[32]}
void quantize_row_q8_0(const float* x, uint8_t* y, int64_t k) {
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK, y += 34) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / ((1 << 7) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    put_f16(y, d);
    for (int j = 0; j < kQK; ++j) y[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::roundf(x[j] * id)));
  }
}

// block_q4_0 {f16 d; u8 qs[16]}: low nibbles hold elements 0..15, high nibbles 16..31.
void quantize_row_q4_0(const float* x, uint8_t* y, int64_t k) {
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK, y += 18) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    put_f16(y, d);
    for (int j = 0; j < kQK / 2; ++j) {
      const auto xi0 = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f))));
      const auto xi1 =
          static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x[kQK / 2 + j] * id + 8.5f))));
      y[2 + j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

// block_q5_0 {f16 d; u8 qh[4]; u8 qs[16]}
void quantize_row_q5_0(const float* x, uint8_t* y, int64_t k) {
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK, y += 22) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16;
    const float id = d ? 1.0f / d : 0.0f;
    put_f16(y, d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const auto xi0 = static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f))));
      const auto xi1 =
          static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x[kQK / 2 + j] * id + 16.5f))));
      y[6 + j] = static_cast<uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y + 2, &qh, 4);
  }
}

// block_q5_1 {f16 d; f16 m; u8 qh[4]; u8 qs[16]} (Q5_K's fallback for rows that are not 256-aligned)
void quantize_row_q5_1(const float* x, uint8_t* y, int64_t k) {
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK, y += 24) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / ((1 << 5) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    put_f16(y, d);
    put_f16(y + 2, min);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK / 2 + j] - min) * id;
      const auto xi0 = static_cast<uint8_t>(x0 + 0.5f);
      const auto xi1 = static_cast<uint8_t>(x1 + 0.5f);
      y[8 + j] = static_cast<uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y + 4, &qh, 4);
  }
}

bool dequantize_row_32(GgmlType type, const uint8_t* x, float* y, int64_t k) {
  switch (type) {
    case GgmlType::kQ8_0:
      for (int64_t i = 0; i < k / kQK; ++i, x += 34) {
        const float d = get_f16(x);
        for (int j = 0; j < kQK; ++j) *y++ = static_cast<int8_t>(x[2 + j]) * d;
      }
      return true;
    case GgmlType::kQ4_0:
      for (int64_t i = 0; i < k / kQK; ++i, x += 18, y += kQK) {
        const float d = get_f16(x);
        for (int j = 0; j < kQK / 2; ++j) {
          y[j] = ((x[2 + j] & 0x0F) - 8) * d;
          y[j + kQK / 2] = ((x[2 + j] >> 4) - 8) * d;
        }
      }
      return true;
    case GgmlType::kQ5_0:
      for (int64_t i = 0; i < k / kQK; ++i, x += 22, y += kQK) {
        const float d = get_f16(x);
        uint32_t qh;
        std::memcpy(&qh, x + 2, 4);
        for (int j = 0; j < kQK / 2; ++j) {
          const uint8_t xh_0 = static_cast<uint8_t>(((qh >> (j + 0)) << 4) & 0x10);
          const uint8_t xh_1 = static_cast<uint8_t>((qh >> (j + 12)) & 0x10);
          y[j] = (((x[6 + j] & 0x0F) | xh_0) - 16) * d;
          y[j + kQK / 2] = (((x[6 + j] >> 4) | xh_1) - 16) * d;
        }
      }
      return true;
    case GgmlType::kQ5_1:
      for (int64_t i = 0; i < k / kQK; ++i, x += 24, y += kQK) {
        const float d = get_f16(x), m = get_f16(x + 2);
        uint32_t qh;
        std::memcpy(&qh, x + 4, 4);
        for (int j = 0; j < kQK / 2; ++j) {
          const uint8_t xh_0 = static_cast<uint8_t>(((qh >> (j + 0)) << 4) & 0x10);
          const uint8_t xh_1 = static_cast<uint8_t>((qh >> (j + 12)) & 0x10);
          y[j] = ((x[8 + j] & 0x0F) | xh_0) * d + m;
          y[j + kQK / 2] = ((x[8 + j] >> 4) | xh_1) * d + m;
        }
      }
      return true;
    default: return false;
  }
}

}  // namespace axolotl::gguf
