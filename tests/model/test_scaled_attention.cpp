// block_attention (one causal block per packed segment) against masked_attention over the full
// block-diagonal mask: values and gradients of q, k and v, in float32 (tight) and bf16 (looser), with
// a sliding window and Gemma-2's soft-cap; which masks diagonal_blocks accepts; each mask kind's own
// blocks (attention_mask); and a model with sliding and global layers on packed rows (blocks found once
// per forward) against separate runs of each segment, values and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "axolotl/model/attention_mask.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/rotary_embedding.h"
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

// attention_mask finds each kind's blocks in its own mask. With a window of 1 a sliding mask is its
// diagonal (one block per token) while the global one has a block per segment: the sliding blocks on
// the global mask drop every earlier key, the global blocks on the sliding mask are still exact (a
// sliding mask allows a subset of the global one), and each mask with its own blocks is exact.
TEST(AttentionMask, EachKindKeepsItsOwnBlocks) {
  const auto seg = packed_segments();
  const auto global = attention_mask(seg, seg, 0, std::nullopt, /*find_blocks=*/true, 1);
  const auto sliding = attention_mask(seg, seg, 0, 1, /*find_blocks=*/true, 1);
  ASSERT_TRUE(global.blocks && sliding.blocks);
  EXPECT_TRUE(global.allowed.equal(attention_allowed(seg, seg, 0, std::nullopt)));
  EXPECT_TRUE(sliding.allowed.equal(attention_allowed(seg, seg, 0, 1)));
  EXPECT_EQ((*global.blocks)[0].size(), 4u);
  EXPECT_EQ((*sliding.blocks)[0].size(), 14u);
  EXPECT_FALSE(attention_mask(seg, seg, 0, std::nullopt, /*find_blocks=*/false, 1).blocks);  // a cache: none

  torch::manual_seed(5);
  auto q = torch::randn({3, 2, 14, 8}), k = torch::randn({3, 2, 14, 8}), v = torch::randn({3, 2, 14, 8});
  const AttentionScale scale{0.35, {}};
  auto masked = [&](const AttentionMask& m) { return masked_attention(q, k, v, m.allowed, scale).transpose(1, 2); };
  EXPECT_LE(rel_diff(block_attention(q, k, v, global.allowed, *global.blocks, scale), masked(global)), 1e-6);
  EXPECT_LE(rel_diff(block_attention(q, k, v, sliding.allowed, *sliding.blocks, scale), masked(sliding)), 1e-6);
  EXPECT_LE(rel_diff(block_attention(q, k, v, sliding.allowed, *global.blocks, scale), masked(sliding)), 1e-6);
  EXPECT_GT(rel_diff(block_attention(q, k, v, global.allowed, *sliding.blocks, scale), masked(global)), 1e-2);
}

// A 2-layer model, layer 0 sliding (window 3), layer 1 global, on packed rows whose segments are long
// enough (mean >= 64 tokens) for the blocks to be used, against each segment run alone through the
// layers by hand, each layer given the mask of its own kind with no blocks (the full masked path):
// logits and every parameter's gradient. A layer given the other kind's mask (or blocks found in it)
// sees keys outside its window or none it should, and differs.
LlamaConfig sliding_and_global_config() {
  LlamaConfig c;
  c.vocab_size = 61;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 256;
  c.sliding_window = 3;
  c.sliding_layers = {true, false};
  return c;
}

// One segment ids (1, L) through embed, the layers (layer 0 sliding, layer 1 global) and the final norm,
// as LlamaModelImpl::forward runs them, but with each layer's mask chosen here -> logits (1, L, V).
torch::Tensor by_hand(LlamaForCausalLMImpl& m, const LlamaConfig& c, const torch::Tensor& ids) {
  const int64_t l = ids.size(1);
  const auto seg = torch::ones({1, l}, torch::kInt64);                     // (1, L)
  const auto positions = torch::arange(l, torch::kInt64).unsqueeze(0);     // (1, L)
  RotaryEmbedding rotary(c);
  auto h = m.model->embed(ids);                                            // (1, L, H)
  auto [cos, sin] = rotary.cos_sin(positions, h.scalar_type());            // (1, L, hd) each
  const AttentionMask sliding{attention_allowed(seg, seg, 0, c.sliding_window), std::nullopt};
  const AttentionMask global{attention_allowed(seg, seg, 0, std::nullopt), std::nullopt};
  h = m.layer(0).forward(h, cos, sin, sliding, nullptr, 0);
  h = m.layer(1).forward(h, cos, sin, global, nullptr, 1);
  return m.logits(m.model->norm->forward(h));                              // (1, L, V)
}

TEST(LlamaModel, PackedSlidingAndGlobalLayersMatchSeparateRuns) {
  const auto c = sliding_and_global_config();
  LlamaForCausalLM m(c, torch::TensorOptions().dtype(torch::kFloat32));
  init_weights(*m, 3);
  const std::vector<std::vector<int64_t>> lengths{{64, 64}, {80, 48}};  // (B = 2, T = 128)
  const int64_t b = 2, t = 128;
  torch::manual_seed(9);
  const auto ids = torch::randint(0, c.vocab_size, {b, t}, torch::kInt64);       // (B, T)
  const auto upstream = torch::randn({b, t, c.vocab_size});                      // d loss / d logits
  auto seg = torch::empty({b, t}, torch::kInt64);                                // (B, T)
  for (int64_t r = 0; r < b; ++r) {
    seg[r].narrow(0, 0, lengths[r][0]).fill_(1);
    seg[r].narrow(0, lengths[r][0], lengths[r][1]).fill_(2);
  }
  // The packed run takes the block path for both kinds (default min_mean_block).
  ASSERT_TRUE(attention_mask(seg, seg, 0, std::nullopt, true).blocks);
  ASSERT_TRUE(attention_mask(seg, seg, 0, c.sliding_window, true).blocks);

  auto grads = [&] {
    std::vector<torch::Tensor> out;
    for (auto& p : m->parameters()) {
      out.push_back(p.grad().clone());
      p.mutable_grad().zero_();
    }
    return out;
  };
  ForwardArgs packed;
  packed.segment_ids = seg;
  auto logits = m->forward(ids, packed);  // (B, T, V)
  (logits * upstream).sum().backward();
  const auto packed_grads = grads();

  ForwardArgs wrapped = packed;  // the masks as wrap_layer's functions hold them (activation checkpointing)
  wrapped.wrap_layer = [](const std::function<torch::Tensor(const torch::Tensor&)>& fn, const torch::Tensor& h) {
    return fn(h);
  };
  EXPECT_TRUE(m->forward(ids, wrapped).equal(logits));

  auto separate = torch::empty_like(logits);
  torch::Tensor loss = torch::zeros({});
  for (int64_t r = 0; r < b; ++r) {
    int64_t start = 0;
    for (const int64_t len : lengths[r]) {
      auto part = by_hand(*m, c, ids[r].narrow(0, start, len).unsqueeze(0))[0];  // (L, V)
      loss = loss + (part * upstream[r].narrow(0, start, len)).sum();
      separate[r].narrow(0, start, len).copy_(part.detach());
      start += len;
    }
  }
  loss.backward();
  const auto separate_grads = grads();
  EXPECT_LE(rel_diff(logits.detach(), separate), 1e-5);
  for (size_t i = 0; i < packed_grads.size(); ++i) EXPECT_LE(rel_diff(packed_grads[i], separate_grads[i]), 1e-4) << i;

  // The check can fail: the same weights with the window off in layer 0 give other logits.
  auto global_only = c;
  global_only.sliding_layers = {false, false};
  LlamaForCausalLM g(global_only, torch::TensorOptions().dtype(torch::kFloat32));
  torch::NoGradGuard no_grad;
  for (auto& item : g->named_parameters()) item.value().copy_(m->named_parameters()[item.key()]);
  EXPECT_GT(rel_diff(g->forward(ids, packed), separate), 1e-3);
}

}  // namespace
}  // namespace axolotl::model
