// Token embedding growth (embedding_resize.h): old rows kept bit for bit, new rows from transformers'
// mean-resizing (N(μ, 1e-9·Σ), or μ when Σ is singular), lm_head grown with it unless tied, the
// 32x rounding, and the embedding's refusal of ids past its rows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "axolotl/model/embedding_resize.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/util/error.h"

namespace axolotl::model {
namespace {

LlamaForCausalLM tiny(bool tied, int64_t vocab = 64) {
  LlamaConfig c;
  c.vocab_size = vocab;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 8;
  c.max_position_embeddings = 32;
  c.tie_word_embeddings = tied;
  c.initializer_range = 0.2;
  LlamaForCausalLM m(c, torch::TensorOptions().dtype(torch::kFloat32));
  init_weights(*m, 3);
  m->eval();
  return m;
}

TEST(EmbeddingResize, RowsNeededRoundsUpTo32Only) {
  EXPECT_EQ(rows_needed(65, false), 65);
  EXPECT_EQ(rows_needed(65, true), 96);
  EXPECT_EQ(rows_needed(64, true), 64);
}

TEST(EmbeddingResize, NewRowsAreMeanResizedAndOldRowsKept) {
  auto m = tiny(/*tied=*/false);
  const auto embed = m->model->embed_tokens->weight.detach().clone();  // (64, 16)
  const auto head = m->lm_head->weight.detach().clone();               // (64, 16)
  EXPECT_EQ(resize_token_embeddings(*m, 70, 1), 64);
  const auto& e = m->model->embed_tokens->weight;
  ASSERT_EQ(e.sizes(), (std::vector<int64_t>{70, 16}));
  ASSERT_EQ(m->lm_head->weight.sizes(), (std::vector<int64_t>{70, 16}));
  EXPECT_TRUE(torch::equal(e.narrow(0, 0, 64), embed));
  EXPECT_TRUE(torch::equal(m->lm_head->weight.narrow(0, 0, 64), head));
  // N(μ, 1e-9·Σ): within a few 1e-4·std of the mean, and not all equal (Σ is positive definite here).
  const auto added = e.narrow(0, 64, 6);
  EXPECT_LT((added - embed.mean(0)).abs().max().item<double>(), 1e-3);
  EXPECT_GT((added[0] - added[1]).abs().max().item<double>(), 0.0);
  EXPECT_LT((m->lm_head->weight.narrow(0, 64, 6) - head.mean(0)).abs().max().item<double>(), 1e-3);
  // The registered parameters are the grown tensors; the model runs on the new ids.
  for (const auto& p : m->named_parameters()) {
    if (p.key() == "model.embed_tokens.weight" || p.key() == "lm_head.weight") EXPECT_EQ(p.value().size(0), 70);
  }
  const auto logits = m->forward(torch::tensor({{1, 69}}, torch::kInt64));
  EXPECT_EQ(logits.size(2), 70);
  EXPECT_EQ(resize_token_embeddings(*m, 66, 1), 70) << "rows never shrink";
}

TEST(EmbeddingResize, SingularCovarianceGivesTheMeanAndTiedHeadFollows) {
  auto m = tiny(/*tied=*/true, /*vocab=*/4);  // 4 rows of 16 dims: Σ has rank ≤ 3
  const auto embed = m->model->embed_tokens->weight.detach().clone();
  resize_token_embeddings(*m, 6, 1);
  const auto added = m->model->embed_tokens->weight.narrow(0, 4, 2);
  EXPECT_TRUE(torch::allclose(added, embed.mean(0).unsqueeze(0).expand({2, 16}), 0, 1e-7));
  EXPECT_EQ(m->forward(torch::tensor({{5}}, torch::kInt64)).size(2), 6);
}

TEST(EmbeddingResize, IdsPastTheTableAreAnErrorNotAKernelCrash) {
  auto m = tiny(false);
  try {
    m->forward(torch::tensor({{1, 64}}, torch::kInt64));
    FAIL() << "id 64 of a 64-row table must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id outside the embedding table"), std::string::npos) << e.what();
    EXPECT_EQ(e.diagnostic().found, "64");
  }
  EXPECT_THROW(m->forward(torch::tensor({{-1}}, torch::kInt64)), Error);
}

}  // namespace
}  // namespace axolotl::model
