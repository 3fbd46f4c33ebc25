// ggml's reference quantizers, bit for bit (llama.cpp ggml/src/ggml-quants.c *_ref, which
// llama-quantize uses without an importance matrix): Q8_0, Q4_0, Q5_0 / Q5_1 (the fallbacks of Q4_K / Q5_K
// for 32-aligned rows), Q4_K, Q5_K and Q6_K, their dequantizers, and a multi-threaded row driver. Torch-free.
// "Bit for bit" means the C code evaluated one IEEE float32 operation at a time (no fused
// multiply-add), as ggml built without FMA contraction computes it. A GCC -march=native build on FMA
// hardware fuses a*b+c and then differs at exact rounding boundaries: gguf-py's numpy Q4_0 emulates
// that fused form (11 of 2048 blocks differed on one bf16 tensor); Q8_0 has no such step and matches both.
#pragma once

#include <cstdint>

#include "axolotl/export/ggml_type.h"

namespace axolotl::gguf {

// One row of k floats (k a multiple of the block size) into blocks at y.
void quantize_row_q8_0(const float* x, uint8_t* y, int64_t k);
void quantize_row_q4_0(const float* x, uint8_t* y, int64_t k);
void quantize_row_q5_0(const float* x, uint8_t* y, int64_t k);
void quantize_row_q5_1(const float* x, uint8_t* y, int64_t k);  // Q5_K's fallback
void quantize_row_q4_k(const float* x, uint8_t* y, int64_t k);
void quantize_row_q5_k(const float* x, uint8_t* y, int64_t k);  // llama-quantize's Q4_K_M attn_qkv
void quantize_row_q6_k(const float* x, uint8_t* y, int64_t k);

// k elements of a quantized type back to float; false for types without a dequantizer here.
bool dequantize_row(GgmlType type, const uint8_t* x, float* y, int64_t k);
bool dequantize_row_32(GgmlType type, const uint8_t* x, float* y, int64_t k);  // Q8_0, Q4_0, Q5_0, Q5_1 only

// Converts `rows` rows of `cols` floats to `type` (F32, F16, BF16 or a quantized type above) into
// dst (type_nbytes(type, rows*cols) bytes), splitting rows over `threads` workers (0 = all cores).
void convert_rows(GgmlType type, const float* src, int64_t rows, int64_t cols, uint8_t* dst, int threads = 0);

}  // namespace axolotl::gguf
