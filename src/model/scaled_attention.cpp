// masked_attention, diagonal_blocks, block_attention (HF modeling_llama.py eager_attention_forward;
// the packed case as Axolotl's varlen attention: one causal block per document).
#include "axolotl/model/scaled_attention.h"

#include <limits>

#include "axolotl/model/cpu_gemm.h"

namespace axolotl::model {
namespace {

double lowest(torch::ScalarType t) {
  if (t == torch::kFloat16) return -65504.0;
  if (t == torch::kBFloat16) return -3.3895313892515355e38;
  return static_cast<double>(std::numeric_limits<float>::lowest());
}

}  // namespace

torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, const AttentionScale& scale) {
  auto scores = batched_matmul(q, k, /*transpose_b=*/true, scale.scaling);  // (B, nh, T, S)
  if (scale.softcap) scores = torch::tanh(scores / *scale.softcap) * *scale.softcap;  // Gemma-2, before the mask
  scores.masked_fill_(allowed.logical_not(), lowest(scores.scalar_type()));  // in place: a fresh product
  // HF: softmax in float32, cast back. LibTorch's CPU bf16 softmax computes in float32 and rounds
  // once, the same values (test Attention.Bf16SoftmaxEqualsFloat32ThenCast) without a float32 copy.
  const bool direct = scores.device().is_cpu() &&
                      (scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kFloat32);
  auto probs = direct ? torch::softmax(scores, -1)
                      : torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());  // (B, nh, T, S)
  return batched_matmul(probs, v, /*transpose_b=*/false);                                 // (B, nh, T, hd)
}

std::optional<DiagonalBlocks> diagonal_blocks(const torch::Tensor& allowed, int64_t min_mean_block) {
  if (allowed.dim() != 4 || allowed.size(1) != 1 || allowed.size(2) != allowed.size(3) || allowed.size(2) < 2 ||
      allowed.size(0) == 0) {
    return std::nullopt;
  }
  const int64_t rows = allowed.size(0), t = allowed.size(2);
  const auto a = allowed.select(1, 0);                                                   // (B, T, T)
  const auto sub = a.diagonal(-1, 1, 2).to(torch::kCPU, torch::kBool).contiguous();     // (B, T-1): i sees i-1
  const bool* p = sub.data_ptr<bool>();
  DiagonalBlocks blocks(static_cast<size_t>(rows));
  auto run = torch::empty({rows, t}, torch::kInt64);  // (B, T): block index of each position
  auto* r_ptr = run.data_ptr<int64_t>();
  bool several = false;
  for (int64_t r = 0; r < rows; ++r) {
    auto& out = blocks[static_cast<size_t>(r)];
    int64_t start = 0;
    r_ptr[r * t] = 0;
    for (int64_t i = 1; i <= t; ++i) {
      if (i < t && p[r * (t - 1) + i - 1]) {
        r_ptr[r * t + i] = static_cast<int64_t>(out.size());
        continue;
      }
      out.push_back({start, i - start});
      if (i < t) r_ptr[r * t + i] = static_cast<int64_t>(out.size());
      start = i;
    }
    several = several || out.size() > 1;
  }
  if (!several) return std::nullopt;
  size_t count = 0;
  for (const auto& row : blocks) count += row.size();
  if (static_cast<int64_t>(count) * min_mean_block > rows * t) return std::nullopt;
  const auto id = run.to(allowed.device());                                               // (B, T)
  const bool outside = a.logical_and(id.unsqueeze(2).ne(id.unsqueeze(1))).any().item<bool>();  // (B, T, T)
  if (outside) return std::nullopt;
  return blocks;
}

torch::Tensor block_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& allowed, const DiagonalBlocks& blocks,
                              const AttentionScale& scale) {
  std::vector<torch::Tensor> rows;  // (1, T, nh, hd) each
  rows.reserve(blocks.size());
  for (size_t r = 0; r < blocks.size(); ++r) {
    const auto row = static_cast<int64_t>(r);
    const auto qr = q.narrow(0, row, 1), kr = k.narrow(0, row, 1), vr = v.narrow(0, row, 1);  // (1, nh, T, hd)
    const auto ar = allowed.narrow(0, row, 1);                                                // (1, 1, T, T)
    std::vector<torch::Tensor> parts;  // (1, L, nh, hd) each
    parts.reserve(blocks[r].size());
    for (const auto& blk : blocks[r]) {
      const auto s = blk.start, len = blk.length;
      const auto mask = ar.narrow(2, s, len).narrow(3, s, len);  // (1, 1, L, L)
      parts.push_back(masked_attention(qr.narrow(2, s, len), kr.narrow(2, s, len), vr.narrow(2, s, len), mask, scale)
                          .transpose(1, 2));
    }
    rows.push_back(parts.size() == 1 ? parts[0] : torch::cat(parts, 1));  // (1, T, nh, hd)
  }
  return rows.size() == 1 ? rows[0].contiguous() : torch::cat(rows, 0);  // (B, T, nh, hd)
}

}  // namespace axolotl::model
