// The attention product itself, after projections, RoPE and repeat_kv (HF eager_attention_forward):
// softmax(q·kᵀ·scaling [tanh soft-cap] masked) · v, softmax in float32 (or LibTorch's CPU bf16 softmax,
// which gives the same values). Two ways, the same result:
// - masked_attention: the full (T, S) scores of every row, disallowed entries filled with the dtype's
//   lowest value (which softmax turns into exact zeros);
// - block_attention: when the mask is block-diagonal (packed segments, no cache), each block alone:
//   a row of n equal segments computes 1/n of the scores the full row would.
// Both are differentiable (autograd) and device-agnostic.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <vector>

namespace axolotl::model {

struct AttentionScale {
  double scaling = 1.0;           // multiplies q·kᵀ
  std::optional<double> softcap;  // Gemma-2: cap·tanh(scores / cap), before the mask
};

// One diagonal block of a row: queries and keys [start, start + length).
struct DiagonalBlock {
  int64_t start = 0, length = 0;
};
using DiagonalBlocks = std::vector<std::vector<DiagonalBlock>>;  // per row, in order, covering [0, T)

// q (B, nh, T, hd), k/v (B, nh, S, hd), allowed (B, 1, T, S) bool -> (B, nh, T, hd).
torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, const AttentionScale& scale);

// The diagonal blocks of allowed (B, 1, T, T) (keys are the queries: no cache) when some row has more
// than one and nothing outside them is allowed; none otherwise (one block per row, a cache, any other
// shape). A block ends where query i may not see key i - 1, which in attention_allowed's masks is where
// the segment id changes; the check that nothing outside the blocks is allowed makes block_attention
// exact whatever built the mask (an id that comes back later in a row, for one, is refused here).
// One pass over the mask and one copy of its sub-diagonal to the CPU.
// Many short blocks cost more in per-block calls than the full row's scores (on the 15M benchmark
// model 16-token blocks took 2.2x the masked step's CPU time, 256-token blocks 0.7x), so below a mean
// of `min_mean_block` tokens per block there are none either.
std::optional<DiagonalBlocks> diagonal_blocks(const torch::Tensor& allowed, int64_t min_mean_block = 64);

// masked_attention computed block by block: q/k/v (B, nh, T, hd), allowed (B, 1, T, T) and its
// diagonal_blocks -> (B, T, nh, hd), the layout o_proj reads (masked_attention's result transposed).
torch::Tensor block_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& allowed, const DiagonalBlocks& blocks,
                              const AttentionScale& scale);

}  // namespace axolotl::model
