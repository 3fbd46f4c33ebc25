// The tokenizer (sentencepiece in libaxolotl_spm.so, with its own protobuf) and LibTorch (another
// protobuf) in one process: loading the module must not disturb tensors before or after.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "axolotl/data/tokenizer.h"
#include "axolotl/data/tokenizer_trainer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

TEST(TokenizerWithTorch, SentencepieceModuleAndLibTorchShareAProcess) {
  auto a = torch::arange(6, torch::kFloat32).reshape({2, 3});  // (2, 3)
  EXPECT_EQ(torch::matmul(a, a.t()).sum().item<float>(), 5.0f + 14.0f + 14.0f + 50.0f);

  testing::TempDir tmp;
  train_tokenizer((testing::source_dir() / "examples/tiny/corpus.txt").string(), (tmp / "tok").string(), 512, 0);
  auto tok = Tokenizer::load((tmp / "tok").string());
  const auto ids = tok->encode("The brave fox ran to the river.", true, true);
  ASSERT_GT(ids.size(), 2u);

  auto t = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64);  // (T)
  auto emb = torch::nn::Embedding(tok->vocab_size(), 4);
  EXPECT_EQ(emb(t).sizes(), (std::vector<int64_t>{static_cast<int64_t>(ids.size()), 4}));
  EXPECT_EQ(t[0].item<int64_t>(), tok->bos_id());
  EXPECT_EQ(tok->decode(ids), "The brave fox ran to the river.");
  if (!testing::shared_dir().empty()) {
    auto llama = Tokenizer::load((testing::shared_dir() / "tokenizers/llama2").string());
    EXPECT_EQ(llama->encode("Hello world", false, false), (std::vector<int32_t>{15043, 3186}));
  }
  EXPECT_TRUE(torch::allclose(torch::softmax(a, 1).sum(1), torch::ones({2})));
}

}  // namespace
}  // namespace axolotl::data
