// block_attention (one causal block per packed segment) against masked_attention over the full
// block-diagonal mask: values and gradients of q, k and v, in float32 (tight) and bf16 (looser), with
// a sliding window and Gemma-2's soft-cap; and which masks diagonal_blocks accepts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "axolotl/model/attention_mask.h"
#include "axolotl/model/scaled_attention.h"

namespace axolotl::model {
namespace {

struct Case {
  torch::ScalarType dtype;
  std::optional<int64_t> window;
  std::optional<double> softcap;
  double tolerance;  // max |difference| relative to max |value|
};

double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  auto x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  return ((x - y).abs().max() / y.abs().max().clamp_min(1e-30)).item<double>();
}

// Rows: three segments and padding; two segments; one segment (attention still per block there).
torch::Tensor packed_segments() {
  return torch::tensor({1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 0, 0,  //
                        7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8,  //
                        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4},
                       torch::kInt64)
      .view({3, 14});
}

void expect_same_as_masked(const Case& c) {
  torch::manual_seed(11);
  const int64_t b = 3, nh = 4, t = 14, hd = 8;
  auto q0 = torch::randn({b, nh, t, hd}).to(c.dtype), k0 = torch::randn({b, nh, t, hd}).to(c.dtype);
  auto v0 = torch::randn({b, nh, t, hd}).to(c.dtype);
  auto upstream = torch::randn({b, t, nh, hd}).to(c.dtype);  // d loss / d output, (B, T, nh, hd)
  const auto seg = packed_segments();
  const auto allowed = attention_allowed(seg, seg, 0, c.window);  // (B, 1, T, T)
  const auto blocks = diagonal_blocks(allowed, 1);
  ASSERT_TRUE(blocks);
  const AttentionScale scale{0.35, c.softcap};

  auto q = q0.clone().requires_grad_(), k = k0.clone().requires_grad_(), v = v0.clone().requires_grad_();
  auto masked = masked_attention(q, k, v, allowed, scale).transpose(1, 2);
  (masked * upstream).sum().backward();
  auto q2 = q0.clone().requires_grad_(), k2 = k0.clone().requires_grad_(), v2 = v0.clone().requires_grad_();
  auto out = block_attention(q2, k2, v2, allowed, *blocks, scale);
  (out * upstream).sum().backward();

  ASSERT_EQ(out.sizes(), masked.sizes());
  EXPECT_EQ(out.scalar_type(), c.dtype);
  EXPECT_LE(rel_diff(out, masked), c.tolerance);
  EXPECT_LE(rel_diff(q2.grad(), q.grad()), c.tolerance);
  EXPECT_LE(rel_diff(k2.grad(), k.grad()), c.tolerance);
  EXPECT_LE(rel_diff(v2.grad(), v.grad()), c.tolerance);
  // The check can fail: attention over the whole row (no segments) differs from the packed one.
  auto one = torch::ones({b, t}, torch::kInt64);
  auto whole = masked_attention(q0, k0, v0, attention_allowed(one, one, 0, c.window), scale).transpose(1, 2);
  EXPECT_GT(rel_diff(whole, masked), 10 * c.tolerance);
}

TEST(BlockAttention, Float32MatchesMaskedValuesAndGradients) { expect_same_as_masked({torch::kFloat32, {}, {}, 1e-6}); }

TEST(BlockAttention, Float32WithWindowAndSoftcap) { expect_same_as_masked({torch::kFloat32, 3, 2.5, 1e-6}); }

TEST(BlockAttention, Bf16MatchesMaskedWithinRounding) { expect_same_as_masked({torch::kBFloat16, {}, {}, 2e-2}); }

TEST(BlockAttention, Bf16WithWindow) { expect_same_as_masked({torch::kBFloat16, 4, {}, 2e-2}); }

TEST(DiagonalBlocks, OneBlockPerSegmentRun) {
  const auto seg = packed_segments();
  const auto blocks = diagonal_blocks(attention_allowed(seg, seg, 0, std::nullopt), 1);
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 3u);
  auto row = [&](size_t r) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& b : (*blocks)[r]) out.emplace_back(b.start, b.length);
    return out;
  };
  using V = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(row(0), (V{{0, 3}, {3, 4}, {7, 5}, {12, 2}}));
  EXPECT_EQ(row(1), (V{{0, 6}, {6, 8}}));
  EXPECT_EQ(row(2), (V{{0, 14}}));
}

TEST(DiagonalBlocks, NoneWhereBlocksWouldNotSaveOrWouldDiffer) {
  auto mask = [](const torch::Tensor& seg) { return attention_allowed(seg, seg, 0, std::nullopt); };
  EXPECT_FALSE(diagonal_blocks(mask(torch::ones({2, 9}, torch::kInt64)), 1));  // one segment per row: causal path
  // An id that comes back after another one sees its first run: only the full mask is right.
  EXPECT_FALSE(diagonal_blocks(mask(torch::tensor({1, 1, 2, 2, 1, 1}, torch::kInt64).unsqueeze(0)), 1));
  // Generation with a cache: keys (S) are more than the queries (T).
  auto seg = torch::ones({1, 6}, torch::kInt64);
  EXPECT_FALSE(diagonal_blocks(attention_allowed(seg.narrow(1, 4, 2), seg, 4, std::nullopt), 1));
  EXPECT_TRUE(diagonal_blocks(mask(torch::tensor({0, 0, 1, 1, 1}, torch::kInt64).unsqueeze(0)), 1));  // left padding
  // By default short blocks run the masked path: a mean of 64 tokens per block or more is needed.
  EXPECT_FALSE(diagonal_blocks(mask(torch::tensor({1, 1, 2, 2, 3, 3}, torch::kInt64).unsqueeze(0))));
  const auto two = torch::cat({torch::ones({1, 64}, torch::kInt64), torch::full({1, 64}, 2, torch::kInt64)}, 1);
  EXPECT_TRUE(diagonal_blocks(mask(two)));
}

}  // namespace
}  // namespace axolotl::model
