// CPU float32 matrix products through oneDNN's row-major sgemm (oneDNN C API, dnnl_sgemm), with
// autograd functions for linear layers and batched attention products; LibTorch's ops elsewhere.
#include "axolotl/model/cpu_gemm.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <vector>

#if AXOLOTL_ONEDNN_GEMM
#include <oneapi/dnnl/dnnl.h>
#else
#define AXOLOTL_ONEDNN_GEMM 0
#endif

#include "axolotl/util/error.h"

namespace axolotl::model {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

bool fast_path(std::initializer_list<const torch::Tensor*> tensors) {
#if AXOLOTL_ONEDNN_GEMM
  for (const auto* t : tensors) {
    if (!t->defined() || !t->device().is_cpu() || t->scalar_type() != torch::kFloat32 || t->numel() == 0) return false;
  }
  return true;
#else
  (void)tensors;
  return false;
#endif
}

#if AXOLOTL_ONEDNN_GEMM
// A matrix operand as sgemm reads it: the last dim unit-strided, rows `ld` apart.
torch::Tensor as_operand(const torch::Tensor& t) {
  const bool rows_ok = t.size(-2) <= 1 || t.stride(-2) >= t.size(-1);
  return t.stride(-1) == 1 && rows_ok ? t : t.contiguous();
}

int64_t leading_dim(const torch::Tensor& t) { return t.size(-2) > 1 ? t.stride(-2) : std::max<int64_t>(1, t.size(-1)); }

// Element offset of batch item i in t, whose leading (batch) dims are all but the last two.
std::vector<int64_t> batch_offsets(const torch::Tensor& t, int64_t count) {
  std::vector<int64_t> offsets(static_cast<size_t>(count));
  const int64_t dims = t.dim() - 2;
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, offset = 0;
    for (int64_t d = dims - 1; d >= 0; --d) {
      offset += (rest % t.size(d)) * t.stride(d);
      rest /= t.size(d);
    }
    offsets[static_cast<size_t>(i)] = offset;
  }
  return offsets;
}
#endif

// C[i] = alpha·op(A[i])·op(B[i]) for every batch item i; A stored (M, K), or (K, M) when ta; B stored
// (K, N), or (N, K) when tb. A and B have the same leading dims; C is new and contiguous.
torch::Tensor gemm(const torch::Tensor& a_in, bool ta, const torch::Tensor& b_in, bool tb, float alpha = 1.0f) {
#if AXOLOTL_ONEDNN_GEMM
  const auto a = as_operand(a_in), b = as_operand(b_in);
  const int64_t m = ta ? a.size(-1) : a.size(-2), k = ta ? a.size(-2) : a.size(-1);
  const int64_t n = tb ? b.size(-2) : b.size(-1);
  auto out_sizes = a.sizes().vec();
  out_sizes[out_sizes.size() - 2] = m;
  out_sizes[out_sizes.size() - 1] = n;
  auto c = torch::empty(out_sizes, a.options());  // (..., M, N)
  const int64_t count = c.numel() / std::max<int64_t>(1, m * n);
  const int64_t lda = leading_dim(a), ldb = leading_dim(b);
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  auto one = [&](int64_t oa, int64_t ob, int64_t oc) {
    const auto status = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, pa + oa, lda, pb + ob, ldb, 0.0f,
                                   pc + oc, n);
    if (status != dnnl_success) {
      throw Error("oneDNN sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") on a " +
                  std::to_string(m) + "x" + std::to_string(k) + " by " + std::to_string(k) + "x" +
                  std::to_string(n) + " product");
    }
  };
  if (count == 1) {
    one(0, 0, 0);  // oneDNN spreads one product over every OpenMP thread
    return c;
  }
  const auto offsets_a = batch_offsets(a, count), offsets_b = batch_offsets(b, count);
  // One product per thread at a time; oneDNN runs sequentially inside a parallel region.
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      one(offsets_a[static_cast<size_t>(i)], offsets_b[static_cast<size_t>(i)], i * m * n);
    }
  });
  return c;
#else
  (void)ta;
  (void)tb;
  (void)alpha;
  throw Error("cpu_gemm: built without oneDNN");
#endif
}

// y = x·Wᵀ over x (M, in) rows; gradients for x and W (bias handled outside).
struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight) {
    ctx->save_for_backward({weight.requires_grad() ? x : torch::Tensor(), weight});
    return gemm(x, false, weight, true);  // (M, out)
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& gy = grads[0];  // (M, out)
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) gx = gemm(gy, false, weight, false);  // (M, in)
    if (ctx->needs_input_grad(1)) gw = gemm(gy, true, x, false);        // (out, in)
    return {gx, gw};
  }
};

// LinearFunction whose W gradient reads `narrow` cast to x's dtype (linear_of_widened), with dropout
// of x when p > 0 as LibTorch's CPU dropout draws it (bernoulli_(1 - p) into a tensor like x, divided
// by 1 - p, times x): the kept/dropped mask is saved as bool and the scaled noise rebuilt from it,
// the same values. The products are linear()'s own: gemm on the oneDNN path, LibTorch's mm elsewhere.
struct WidenedLinearFunction : public torch::autograd::Function<WidenedLinearFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& weight,
                               const torch::Tensor& narrow, double p) {
    torch::Tensor x = x_in, kept;  // (M, in); kept: bool, with dropout
    if (p > 0.0) {
      auto noise = torch::empty_like(x_in, torch::MemoryFormat::Contiguous).bernoulli_(1.0 - p);
      kept = noise.to(torch::kBool);
      x = x_in * noise.div_(1.0 - p);
    }
    ctx->save_for_backward({weight.requires_grad() ? narrow : torch::Tensor(), weight, kept});
    ctx->saved_data["fast"] = fast_path({&x, &weight});
    ctx->saved_data["p"] = p;
    return fast_path({&x, &weight}) ? gemm(x, false, weight, true) : x.mm(weight.t());  // (M, out)
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& weight = saved[1];
    const auto& gy = grads[0];  // (M, out)
    const bool fast = ctx->saved_data["fast"].toBool();
    const double p = ctx->saved_data["p"].toDouble();
    const auto noise = p > 0.0 ? saved[2].to(gy.scalar_type()).div_(1.0 - p) : torch::Tensor();  // (M, in)
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) {
      gx = fast ? gemm(gy, false, weight, false) : gy.mm(weight);  // (M, in)
      if (p > 0.0) gx = gx * noise;
    }
    if (ctx->needs_input_grad(1)) {
      auto x = saved[0].to(gy.scalar_type());  // (M, in), exact
      if (p > 0.0) x = x * noise;
      gw = fast ? gemm(gy, true, x, false) : gy.t().mm(x);  // (out, in)
    }
    return {gx, gw, torch::Tensor(), torch::Tensor()};
  }
};

struct BatchedMatMulFunction : public torch::autograd::Function<BatchedMatMulFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b, bool transpose_b,
                               double alpha) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["transpose_b"] = transpose_b;
    ctx->saved_data["alpha"] = alpha;
    return gemm(a, false, b, transpose_b, static_cast<float>(alpha));  // (..., M, N)
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const bool tb = ctx->saved_data["transpose_b"].toBool();
    const auto alpha = static_cast<float>(ctx->saved_data["alpha"].toDouble());
    const auto& gc = grads[0];  // (..., M, N)
    torch::Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = gemm(gc, false, b, !tb, alpha);  // (..., M, K)
    if (ctx->needs_input_grad(1)) gb = tb ? gemm(gc, true, a, false, alpha) : gemm(a, true, gc, false, alpha);  // b's shape
    return {ga, gb, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool onednn_gemm_enabled() { return AXOLOTL_ONEDNN_GEMM != 0; }

void limit_blas_threads() {
  if (!onednn_gemm_enabled()) return;
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  if (!fast_path({&x, &weight}) || weight.dim() != 2 || (bias.defined() && !fast_path({&bias}))) {
    return torch::nn::functional::linear(x, weight, bias);  // (..., out)
  }
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  auto y = LinearFunction::apply(x.reshape({-1, x.size(-1)}), weight).view(sizes);  // (..., out)
  return bias.defined() ? y + bias : y;
}

torch::Tensor linear_of_widened(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& narrow,
                                double dropout) {
  if (weight.dim() != 2 || x.dim() < 1 || !narrow.sizes().equals(x.sizes()) || dropout >= 1.0) {
    // Saves its own x: the same values, without the memory saving (dropout 1 zeroes every input).
    return model::linear(dropout > 0.0 ? torch::dropout(x, dropout, true) : x, weight);
  }
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return WidenedLinearFunction::apply(x.reshape({-1, x.size(-1)}), weight, narrow.reshape({-1, narrow.size(-1)}),
                                      dropout)
      .view(sizes);  // (..., out)
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b, bool transpose_b, double alpha) {
  const bool same_batch = a.dim() >= 2 && a.dim() == b.dim() && a.sizes().slice(0, a.dim() - 2) == b.sizes().slice(0, b.dim() - 2);
  if (!fast_path({&a, &b}) || !same_batch) {
    auto c = torch::matmul(a, transpose_b ? b.transpose(-2, -1) : b);  // (..., M, N)
    return alpha == 1.0 ? c : c * alpha;
  }
  return BatchedMatMulFunction::apply(a, b, transpose_b, alpha);  // (..., M, N)
}

}  // namespace axolotl::model
