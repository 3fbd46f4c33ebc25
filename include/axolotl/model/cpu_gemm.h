// The model's matrix products. On the CPU in float32 they run through oneDNN's sgemm when the build
// has it (AXOLOTL_ONEDNN_GEMM): oneDNN works on LibTorch's OpenMP threads, where OpenBLAS (LibTorch's
// BLAS on Debian) keeps a second thread pool that spins against them on few cores. Every other case
// (CUDA, bf16/fp16, a build without oneDNN) is LibTorch's own op, so results never depend on the path.
#pragma once

#include <torch/torch.h>

namespace axolotl::model {

// True when CPU float32 products go through oneDNN in this build.
bool onednn_gemm_enabled();

// With oneDNN doing the large products, OpenBLAS's own threads only compete with OpenMP's: run
// OpenBLAS on the calling thread. A no-op without oneDNN or when the BLAS is not OpenBLAS.
void limit_blas_threads();

// y = x·Wᵀ (+ b), differentiable in x, W and b: x (..., in), W (out, in), b (out) or undefined.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

// linear(x, W) for x == narrow.to(x.dtype) (a widening cast, e.g. a LoRA factor's float32 copy of a
// bf16 activation, or x itself): the same values and gradients, but what backward keeps for W's
// gradient is `narrow` (which the base layer keeps anyway), cast again there, instead of a saved copy
// of x. With dropout > 0 it is linear(torch::dropout(x, dropout, true), W), the same draws, keeping a
// bool mask instead of the float noise and the dropped copy. No bias; x's gradient flows to x, none
// to `narrow`.
torch::Tensor linear_of_widened(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& narrow,
                                double dropout = 0.0);

// alpha·a·bᵀ (transpose_b) or alpha·a·b over equal leading dims, differentiable in both:
// a (..., M, K), b (..., N, K) when transpose_b else (..., K, N) -> (..., M, N). On the oneDNN path
// alpha costs nothing (sgemm's own factor); elsewhere it is a multiplication of the product.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b, bool transpose_b, double alpha = 1.0);

}  // namespace axolotl::model
