// reinit_weights (model/pretrained.h random_pretrained): the architecture from config.json, random
// weights as HF _init_weights draws them (N(0, initializer_range), norms 1, the pad row 0), no
// weights file read; the same seed gives the same weights.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "axolotl/model/pretrained.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::model {
namespace {

namespace fs = std::filesystem;

config::ModelConfig model_at(const fs::path& dir) {
  config::ModelConfig c;
  c.name = dir.string();
  c.dtype = config::DType::kFloat32;
  c.device = config::Device::kCpu;
  c.threads = 1;
  return c;
}

TEST(RandomPretrained, NeedsOnlyConfigJsonAndDrawsHfInitialisation) {
  testing::TempDir dir;
  const fs::path base = testing::source_dir() / "tests/assets/adapters/peft_tiny/base";
  // config.json alone, with a pad token: no weights file in the folder.
  auto text = testing::read_file((base / "config.json").string());
  text.replace(text.find("\"bos_token_id\""), 0, "\"pad_token_id\": 3,\n  ");
  testing::write_file((dir.path() / "config.json").string(), text);
  auto m = random_pretrained(model_at(dir.path()), 42);
  auto again = random_pretrained(model_at(dir.path()), 42);
  auto other = random_pretrained(model_at(dir.path()), 7);
  auto loaded = load_pretrained(model_at(base));
  const auto& emb = m->model->embed_tokens->weight;
  EXPECT_EQ(emb[3].abs().sum().item<double>(), 0.0) << "the pad row is zeroed (nn.Embedding padding_idx)";
  EXPECT_GT(emb[4].abs().sum().item<double>(), 0.0);
  for (const auto& item : m->named_parameters()) {
    const auto& p = item.value();
    const auto& q = again->named_parameters()[item.key()];
    EXPECT_TRUE(p.equal(q)) << item.key() << ": same seed, same weights";
    EXPECT_FALSE(p.equal(loaded->named_parameters()[item.key()])) << item.key() << ": not the checkpoint's";
    if (item.key().find("norm.weight") != std::string::npos) {
      EXPECT_TRUE(p.eq(1.0).all().item<bool>()) << item.key();
      continue;
    }
    EXPECT_FALSE(p.equal(other->named_parameters()[item.key()])) << item.key() << ": the seed matters";
    if (p.numel() >= 1000) EXPECT_NEAR(p.std().item<double>(), m->config().initializer_range, 0.003) << item.key();
  }
}

}  // namespace
}  // namespace axolotl::model
