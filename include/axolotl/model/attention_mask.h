// Which keys each query may see: causal, within the same segment (packed samples, FORMATS.md §8;
// segment 0 = padding, which sees only padding), and inside Mistral's sliding window when set.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace axolotl::model {

// query_segments (B, T), key_segments (B, S) with S = offset + T (offset = cached positions)
// -> allowed (B, 1, T, S) bool.
torch::Tensor attention_allowed(const torch::Tensor& query_segments, const torch::Tensor& key_segments,
                                int64_t offset, std::optional<int64_t> sliding_window);

// Position ids that restart at 0 where the segment id changes: segments (B, T) -> (B, T) int64.
torch::Tensor positions_from_segments(const torch::Tensor& segments);

}  // namespace axolotl::model
