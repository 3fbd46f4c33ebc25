// Summed cross-entropy of logits against target ids, fused: one pass over each block of rows computes
// the loss and the softmax-minus-one-hot gradient together, in float32 whatever the logits' dtype.
// Saves LibTorch's float32 copy of bf16 logits, its log-softmax output and the separate backward passes;
// the (N, V) gradient is kept in the logits' dtype until backward scales it. Same value as
// cross_entropy(logits.float(), targets, ignore_index, reduction=sum) (PyTorch's definition).
#pragma once

#include <torch/torch.h>

#include <optional>

namespace axolotl::train {

// EAFT (Axolotl's use_eaft, entropy-aware focal training): each counted row's loss, and so its gradient,
// is scaled by H^alpha, H the entropy of the softmax over the row's k largest logits in float32
// (-Σ p·log(p + 1e-10), as Axolotl's monkeypatch/loss/eaft.py); the weight carries no gradient.
struct EntropyWeighting {
  double alpha = 1.0;
  int64_t k = 20;
};

// logits (N, V) float32/bf16/fp16, targets (N) int64 with `ignore_index` rows not counted -> scalar
// float32 Σ over counted rows of logsumexp(logits[i]) - logits[i, targets[i]], each term times its EAFT
// weight when `eaft` is set. Differentiable in logits.
torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& targets, int64_t ignore_index = -100,
                                const std::optional<EntropyWeighting>& eaft = std::nullopt);

}  // namespace axolotl::train
