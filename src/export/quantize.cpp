// Reference K-quantizers and the row driver, following llama.cpp ggml/src/ggml-quants.c (quantize_row_*_ref,
// make_qkx2_quants, make_qx_quants, nearest_int, get_scale_min_k4) operation for operation, in
// float32 and in the same order, so blocks match bit for bit. Built with -ffp-contract=off (no FMA
// fusion) like the reference; tests/reference/gguf_reference.py is an independent numpy port.
#include "axolotl/export/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "axolotl/io/half.h"
#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

constexpr int kQKK = 256;  // QK_K
constexpr float kGroupMaxEps = 1e-15f;

void put_f16(uint8_t* p, float v) {
  uint16_t h = io::f32_to_f16(v);
  std::memcpy(p, &h, 2);
}
float get_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return io::f16_to_f32(h);
}
int nearest_int(float fval) {
  float val = fval + 12582912.f;
  int i;
  std::memcpy(&i, &val, sizeof(int));
  return (i & 0x007fffff) - 0x00400000;
}

float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {  // rmse_type 1, no weights
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l + nmax);
    float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        L[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep) {  // use_mad = false
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
  }
}

}  // namespace

// block_q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} and block_q5_K {f16 d; f16 dmin; u8 scales[12];
// u8 qh[32]; u8 qs[128]}: quantize_row_q4_K_ref / quantize_row_q5_K_ref share everything but the level
// count (15 / 31), make_qkx2_quants' search (rmin -1 / -0.5, 20 / 15 steps) and the fifth-bit plane.
static void quantize_row_qk_min(const float* x, uint8_t* y, int64_t k, bool five_bits) {
  const int nmax = five_bits ? 31 : 15;
  const int64_t block_bytes = five_bits ? 176 : 144;
  uint8_t L[kQKK], Laux[32];
  float weights[32], mins[kQKK / 32], scales[kQKK / 32];
  for (int64_t i = 0; i < k / kQKK; ++i, x += kQKK, y += block_bytes) {
    uint8_t* sc12 = y + 4;
    std::memset(y, 0, static_cast<size_t>(block_bytes));
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < kQKK / 32; ++j) {
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
      float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] = five_bits ? make_qkx2_quants(32, 31, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15)
                            : make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < kQKK / 32; ++j) {
      auto ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
      auto lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
      ls = std::min<uint8_t>(63, ls);
      lm = std::min<uint8_t>(63, lm);
      if (j < 4) {
        sc12[j] = ls;
        sc12[j + 4] = lm;
      } else {
        sc12[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        sc12[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
        sc12[j - 0] |= static_cast<uint8_t>((lm >> 4) << 6);
      }
    }
    put_f16(y, max_scale / 63.f);
    put_f16(y + 2, max_min / 63.f);
    const float dd = get_f16(y), dmin = get_f16(y + 2);
    for (int j = 0; j < kQKK / 32; ++j) {
      uint8_t sc, m;
      get_scale_min_k4(j, sc12, &sc, &m);
      const float d = dd * sc;
      if (!d) continue;
      const float dm = dmin * m;
      for (int ii = 0; ii < 32; ++ii) {
        int l = nearest_int((x[32 * j + ii] + dm) / d);
        L[32 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
      }
    }
    if (!five_bits) {
      uint8_t* q = y + 16;
      for (int j = 0; j < kQKK; j += 64, q += 32) {
        for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
      }
      continue;
    }
    uint8_t* qh = y + 16;
    uint8_t* ql = y + 48;
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < kQKK; n += 64, ql += 32) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j], l2 = L[n + j + 32];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[j] |= m2;
        }
        ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<uint8_t>(m1 << 2);
      m2 = static_cast<uint8_t>(m2 << 2);
    }
  }
}
void quantize_row_q4_k(const float* x, uint8_t* y, int64_t k) { quantize_row_qk_min(x, y, k, false); }
void quantize_row_q5_k(const float* x, uint8_t* y, int64_t k) { quantize_row_qk_min(x, y, k, true); }

// block_q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
void quantize_row_q6_k(const float* x, uint8_t* y, int64_t k) {
  int8_t L[kQKK];
  float scales[kQKK / 16];
  for (int64_t i = 0; i < k / kQKK; ++i, x += kQKK, y += 210) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < kQKK / 16; ++ib) {
      const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      const float abs_scale = std::fabs(scale);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scale;
      }
    }
    std::memset(y, 0, 210);
    if (max_abs_scale < kGroupMaxEps) {
      put_f16(y + 208, 0.f);
      continue;
    }
    auto* sc = reinterpret_cast<int8_t*>(y + 192);
    float iscale = -128.f / max_scale;
    put_f16(y + 208, 1 / iscale);
    for (int ib = 0; ib < kQKK / 16; ++ib) sc[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    const float dd = get_f16(y + 208);
    for (int j = 0; j < kQKK / 16; ++j) {
      float d = dd * sc[j];
      if (!d) continue;
      for (int ii = 0; ii < 16; ++ii) {
        int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<int8_t>(std::max(-32, std::min(31, l)) + 32);
      }
    }
    uint8_t* ql = y;
    uint8_t* qh = y + 128;
    for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
        const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
        ql[l + 0] = static_cast<uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                     ((L[j + l + 96] >> 4) << 6));
      }
    }
  }
}

bool dequantize_row(GgmlType type, const uint8_t* x, float* y, int64_t k) {
  switch (type) {
    case GgmlType::kQ8_0: case GgmlType::kQ4_0: case GgmlType::kQ5_0: case GgmlType::kQ5_1:
      return dequantize_row_32(type, x, y, k);
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K: {  // dequantize_row_q4_K / _q5_K (Q5_K: the fifth bits in qh, bit pairs per 64)
      const bool five = type == GgmlType::kQ5_K;
      for (int64_t i = 0; i < k / kQKK; ++i, x += five ? 176 : 144) {
        const float d = get_f16(x), min = get_f16(x + 2);
        const uint8_t* qh = x + 16;
        const uint8_t* q = x + (five ? 48 : 16);
        int is = 0;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < kQKK; j += 64, q += 32, is += 2) {
          uint8_t sc, m;
          get_scale_min_k4(is + 0, x + 4, &sc, &m);
          const float d1 = d * sc, m1 = min * m;
          get_scale_min_k4(is + 1, x + 4, &sc, &m);
          const float d2 = d * sc, m2 = min * m;
          for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0xF) + (five && (qh[l] & u1) ? 16 : 0)) - m1;
          for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0)) - m2;
          u1 = static_cast<uint8_t>(u1 << 2);
          u2 = static_cast<uint8_t>(u2 << 2);
        }
      }
      return true;
    }
    case GgmlType::kQ6_K:
      for (int64_t i = 0; i < k / kQKK; ++i, x += 210) {
        const float d = get_f16(x + 208);
        const uint8_t* ql = x;
        const uint8_t* qh = x + 128;
        const auto* sc = reinterpret_cast<const int8_t*>(x + 192);
        for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
          for (int l = 0; l < 32; ++l) {
            int is = l / 16;
            const int q1 = ((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l + 0] = d * sc[is + 0] * q1;
            y[l + 32] = d * sc[is + 2] * q2;
            y[l + 64] = d * sc[is + 4] * q3;
            y[l + 96] = d * sc[is + 6] * q4;
          }
        }
      }
      return true;
    default:
      return false;
  }
}

namespace {
void convert_span(GgmlType type, const float* src, int64_t rows, int64_t cols, uint8_t* dst) {
  const int64_t n = rows * cols;
  switch (type) {
    case GgmlType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case GgmlType::kF16:
      io::convert_f32_to_f16(src, reinterpret_cast<uint16_t*>(dst), static_cast<size_t>(n));
      return;
    case GgmlType::kBF16:
      io::convert_f32_to_bf16(src, reinterpret_cast<uint16_t*>(dst), static_cast<size_t>(n));
      return;
    default: break;
  }
  void (*row)(const float*, uint8_t*, int64_t) = nullptr;
  switch (type) {
    case GgmlType::kQ8_0: row = quantize_row_q8_0; break;
    case GgmlType::kQ4_0: row = quantize_row_q4_0; break;
    case GgmlType::kQ5_0: row = quantize_row_q5_0; break;
    case GgmlType::kQ5_1: row = quantize_row_q5_1; break;
    case GgmlType::kQ4_K: row = quantize_row_q4_k; break;
    case GgmlType::kQ5_K: row = quantize_row_q5_k; break;
    case GgmlType::kQ6_K: row = quantize_row_q6_k; break;
    default: throw Error("gguf: no quantizer for type " + std::string(type_name(type)));
  }
  const uint64_t row_bytes = type_nbytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) row(src + r * cols, dst + r * row_bytes, cols);
}
}  // namespace

void convert_rows(GgmlType type, const float* src, int64_t rows, int64_t cols, uint8_t* dst, int threads) {
  switch (type) {
    case GgmlType::kF32: case GgmlType::kF16: case GgmlType::kBF16: case GgmlType::kQ8_0: case GgmlType::kQ4_0:
    case GgmlType::kQ5_0: case GgmlType::kQ5_1: case GgmlType::kQ4_K: case GgmlType::kQ5_K: case GgmlType::kQ6_K:
      break;
    default: throw Error("gguf: no quantizer for type " + std::string(type_name(type)));
  }
  if (cols % traits(type).block_size != 0) {
    throw Error(Diagnostic{{}, {}, "row length not a multiple of the block size", std::to_string(cols),
                           std::to_string(traits(type).block_size), {}});
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t min_rows_per_thread = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(cols, 1));
  threads = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, rows / min_rows_per_thread)));
  if (threads <= 1) {
    convert_span(type, src, rows, cols, dst);
    return;
  }
  const uint64_t row_bytes = type_nbytes(type, cols);
  std::vector<std::thread> workers;
  const int64_t per = (rows + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const int64_t r0 = t * per, r1 = std::min(rows, r0 + per);
    if (r0 >= r1) break;
    workers.emplace_back([=] { convert_span(type, src + r0 * cols, r1 - r0, cols, dst + r0 * row_bytes); });
  }
  for (auto& w : workers) w.join();
}

}  // namespace axolotl::gguf
