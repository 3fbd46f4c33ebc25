// Which keys each query may see: causal, within the same segment (packed samples, FORMATS.md §8;
// segment 0 = padding, which sees only padding), and inside Mistral's sliding window when set; and the
// mask as the decoder layers take it, its diagonal blocks found once per forward.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "axolotl/model/scaled_attention.h"

namespace axolotl::model {

// query_segments (B, T), key_segments (B, S) with S = offset + T (offset = cached positions)
// -> allowed (B, 1, T, S) bool. With padding_sees_tokens a padding query (segment 0) sees the
// non-padding keys instead of the padding ones (transformers' key-padding mask; ForwardArgs).
torch::Tensor attention_allowed(const torch::Tensor& query_segments, const torch::Tensor& key_segments,
                                int64_t offset, std::optional<int64_t> sliding_window,
                                bool padding_sees_tokens = false);

// One kind of mask (global, or a sliding window's) as every layer of that kind reads it: the model
// builds each kind once per forward, so the block search over the (B, T, T) mask runs once per kind,
// not once per layer. A sliding mask keeps its own blocks: they are found in its own `allowed`.
struct AttentionMask {
  torch::Tensor allowed;                 // (B, 1, T, S) bool
  std::optional<DiagonalBlocks> blocks;  // diagonal_blocks(allowed) when searched and found
};

// attention_allowed and, when find_blocks (no cache: keys are the queries), its diagonal_blocks.
AttentionMask attention_mask(const torch::Tensor& query_segments, const torch::Tensor& key_segments, int64_t offset,
                             std::optional<int64_t> sliding_window, bool find_blocks, int64_t min_mean_block = 64,
                             bool padding_sees_tokens = false);

// Position ids that restart at 0 where the segment id changes: segments (B, T) -> (B, T) int64.
torch::Tensor positions_from_segments(const torch::Tensor& segments);

}  // namespace axolotl::model
