// Block-diagonal causal masks (Axolotl sdpa_varlen.py `same_doc & causal`; HF Mistral sliding window
// `q_idx - kv_idx < sliding_window`).
#include "axolotl/model/attention_mask.h"

namespace axolotl::model {

torch::Tensor attention_allowed(const torch::Tensor& query_segments, const torch::Tensor& key_segments,
                                int64_t offset, std::optional<int64_t> sliding_window, bool padding_sees_tokens) {
  const int64_t t = query_segments.size(1);
  const int64_t s = key_segments.size(1);
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(query_segments.device());
  auto q_idx = torch::arange(offset, offset + t, opts).unsqueeze(1);  // (T, 1)
  auto k_idx = torch::arange(0, s, opts).unsqueeze(0);                // (1, S)
  auto allowed = k_idx.le(q_idx);                                     // (T, S)
  if (sliding_window) allowed = allowed.logical_and((q_idx - k_idx).lt(*sliding_window));
  auto same = query_segments.unsqueeze(2).eq(key_segments.unsqueeze(1));  // (B, T, S)
  if (padding_sees_tokens) {
    same = torch::where(query_segments.eq(0).unsqueeze(2), key_segments.ne(0).unsqueeze(1), same);  // (B, T, S)
  }
  return same.logical_and(allowed.unsqueeze(0)).unsqueeze(1);             // (B, 1, T, S)
}

AttentionMask attention_mask(const torch::Tensor& query_segments, const torch::Tensor& key_segments, int64_t offset,
                             std::optional<int64_t> sliding_window, bool find_blocks, int64_t min_mean_block,
                             bool padding_sees_tokens) {
  AttentionMask m;
  m.allowed = attention_allowed(query_segments, key_segments, offset, sliding_window, padding_sees_tokens);  // (B, 1, T, S)
  if (find_blocks) m.blocks = diagonal_blocks(m.allowed, min_mean_block);
  return m;
}

torch::Tensor positions_from_segments(const torch::Tensor& segments) {
  const int64_t t = segments.size(1);
  auto idx = torch::arange(t, segments.options().dtype(torch::kInt64)).expand_as(segments);  // (B, T)
  auto starts = torch::ones_like(segments, torch::kBool);                                      // (B, T)
  if (t > 1) starts.narrow(1, 1, t - 1).copy_(segments.narrow(1, 1, t - 1).ne(segments.narrow(1, 0, t - 1)));
  auto start_idx = std::get<0>(torch::cummax(torch::where(starts, idx, torch::zeros_like(idx)), 1));  // (B, T)
  return idx - start_idx;                                                                            // (B, T)
}

}  // namespace axolotl::model
