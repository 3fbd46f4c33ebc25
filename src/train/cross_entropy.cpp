// Fused summed cross-entropy (see cross_entropy.h): blocks of rows small enough to stay in cache, one
// block per thread at a time; the gradient of the sum w.r.t. logits is softmax(logits) - one_hot(target)
// on counted rows and 0 on ignored rows (PyTorch's nll_loss + log_softmax backward, fused). With EAFT
// weights both the row's loss and its gradient row are scaled by the row's weight.
#include "axolotl/train/cross_entropy.h"

#include <ATen/Parallel.h>

#include <algorithm>

#include "axolotl/util/error.h"

namespace axolotl::train {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

constexpr int64_t kBlockElements = 1 << 18;  // ~1 MiB of float32 per block: stays in L2

// (r, V) logits -> (r) float32 EAFT weights: H^alpha over the softmax of the k largest logits.
torch::Tensor entropy_weight(const torch::Tensor& x, double alpha, int64_t k) {
  const auto top = std::get<0>(x.topk(std::min(k, x.size(1)), 1)).to(torch::kFloat32);  // (r, k), exact widening
  const auto p = torch::softmax(top, 1);                                                  // (r, k)
  return (-(p * (p + 1e-10).log()).sum(1)).pow(alpha);                                    // (r)
}

struct CrossEntropySum : public torch::autograd::Function<CrossEntropySum> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& targets,
                               int64_t ignore_index, double eaft_alpha, int64_t eaft_k) {
    const int64_t n = logits.size(0), v = logits.size(1);
    const bool need_grad = logits.requires_grad();
    auto grad = need_grad ? torch::empty_like(logits, torch::MemoryFormat::Contiguous) : torch::Tensor();  // (N, V)
    auto row_loss = torch::zeros({n}, logits.options().dtype(torch::kFloat32));                            // (N)
    const int64_t rows = std::max<int64_t>(1, kBlockElements / std::max<int64_t>(1, v));
    const int64_t blocks = (n + rows - 1) / rows;
    at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t blk = begin; blk < end; ++blk) {
        const int64_t r0 = blk * rows, r = std::min(rows, n - r0);
        const auto x = logits.narrow(0, r0, r);                            // (r, V) in the logits' dtype
        const auto t = targets.narrow(0, r0, r);                           // (r)
        const auto counted = t.ne(ignore_index);                           // (r) bool
        const auto safe_t = t.masked_fill(counted.logical_not(), 0).unsqueeze(1);  // (r, 1)
        const auto max = x.amax(1, /*keepdim=*/true).to(torch::kFloat32);  // (r, 1), exact
        // exp(x - max) in float32 (bf16 x is widened inside the subtraction) straight into the
        // gradient's rows when they are float32, else into a scratch block.
        const bool direct = need_grad && grad.scalar_type() == torch::kFloat32;
        auto e = direct ? grad.narrow(0, r0, r) : torch::empty({r, v}, x.options().dtype(torch::kFloat32));  // (r, V)
        at::sub_out(e, x, max).exp_();
        const auto sum = e.sum(1, /*keepdim=*/true);                       // (r, 1)
        const auto lse = max + sum.log();                                  // (r, 1)
        auto loss = (lse - x.gather(1, safe_t).to(torch::kFloat32)).squeeze(1);  // (r)
        auto scale = counted.unsqueeze(1).to(torch::kFloat32);            // (r, 1): 1 counted, 0 ignored
        if (eaft_k > 0) {
          const auto weight = entropy_weight(x, eaft_alpha, eaft_k);      // (r)
          loss = loss * weight;
          scale = scale * weight.unsqueeze(1);
        }
        row_loss.narrow(0, r0, r).copy_(loss.masked_fill(counted.logical_not(), 0.0));
        if (need_grad) {
          e.mul_(scale / sum);                                              // softmax; ignored rows 0
          e.scatter_add_(1, safe_t, scale.neg());                           // - one_hot
          if (!direct) grad.narrow(0, r0, r).copy_(e);
        }
      }
    });
    if (need_grad) ctx->save_for_backward({grad});
    return row_loss.sum();  // () float32
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    // Scaled in place: the (N, V) buffer is this function's own and backward runs once per graph.
    TORCH_CHECK(!ctx->saved_data.count("used"), "cross_entropy_sum: backward twice through one graph");
    ctx->saved_data["used"] = true;
    auto grad = ctx->get_saved_variables()[0];  // (N, V)
    const auto& g = grads[0];                   // () float32
    return {grad.mul_(g.to(grad.scalar_type())), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& targets, int64_t ignore_index,
                                const std::optional<EntropyWeighting>& eaft) {
  if (logits.dim() != 2 || targets.dim() != 1 || targets.size(0) != logits.size(0)) {
    throw Error(Diagnostic{{}, "cross_entropy_sum", "logits and targets do not match",
                           "logits " + std::to_string(logits.dim()) + "-d, targets " + std::to_string(targets.dim()) + "-d",
                           "logits (N, V) and targets (N)", {}});
  }
  if (logits.size(0) == 0) return torch::zeros({}, logits.options().dtype(torch::kFloat32)) + logits.sum() * 0;
  if (eaft && eaft->k < 1) {
    throw Error(Diagnostic{{}, "eaft_k", "EAFT needs at least one logit per row", std::to_string(eaft->k), "eaft_k >= 1",
                           {}});
  }
  return CrossEntropySum::apply(logits, targets.to(torch::kInt64), ignore_index, eaft ? eaft->alpha : 1.0,
                                eaft ? eaft->k : int64_t{0});
}

}  // namespace axolotl::train
