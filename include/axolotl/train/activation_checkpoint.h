// Gradient (activation) checkpointing: runs a function without keeping its intermediate activations
// and recomputes it during backward (PyTorch's reentrant torch.utils.checkpoint, use_reentrant=True,
// preserve_rng_state=True: the CPU generator is rewound so dropout draws the same masks).
// Gradients reach `x` and, by the nested backward, the parameters used inside `fn`.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace axolotl::train {

using CheckpointFn = std::function<torch::Tensor(const torch::Tensor&)>;

// fn(x) with activations freed after the forward. `x` must require grad for the result to (callers
// detach and mark the embedding output, as HF's enable_input_require_grads).
torch::Tensor checkpoint(const CheckpointFn& fn, const torch::Tensor& x);

}  // namespace axolotl::train
