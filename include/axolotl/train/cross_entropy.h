// Summed cross-entropy of logits against target ids, fused: one pass over each block of rows computes
// the loss and the softmax-minus-one-hot gradient together, in float32 whatever the logits' dtype.
// Saves LibTorch's float32 copy of bf16 logits, its log-softmax output and the separate backward passes;
// the (N, V) gradient is kept in the logits' dtype until backward scales it. Same value as
// cross_entropy(logits.float(), targets, ignore_index, reduction=sum) (PyTorch's definition).
#pragma once

#include <torch/torch.h>

namespace axolotl::train {

// logits (N, V) float32/bf16/fp16, targets (N) int64 with `ignore_index` rows not counted -> scalar
// float32 Σ over counted rows of logsumexp(logits[i]) - logits[i, targets[i]]. Differentiable in logits.
torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& targets, int64_t ignore_index = -100);

}  // namespace axolotl::train
