// End to end through the real executable for each non-LLaMA family: `create-tiny --family F`, `validate`
// names the family, `train` (LoRA on lora_target_linear, packing, gradient checkpointing) writes an
// adapter, `merge` folds it, and `inference` gives the same greedy text from base + adapter and merged.
// Phi-3 runs in the default suite (CMakeLists); the other families are labelled slow.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;

class FamilyE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(FamilyE2E, CreateValidateTrainMergeInfer) {
  const auto corpus = source_dir() / "examples" / "tiny" / "corpus.txt";
  const auto data = source_dir() / "examples" / "tiny" / "data.jsonl";
  if (!fs::exists(corpus) || !fs::exists(data)) GTEST_SKIP() << "examples/tiny absent";
  TempDir dir;
  const std::string family = GetParam();
  const auto model = dir / "model";
  auto r = run_axolotl({"create-tiny", "--output", model.string(), "--corpus", corpus.string(), "--family", family});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cfg = dir / "config.yml";
  write_file(cfg, "base_model: " + model.string() +
                      "\nthreads: 1\nadapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_target_linear: true\n"
                      "datasets:\n  - path: " + data.string() + "\n    type: alpaca\n"
                      "dataset_prepared_path: " + (dir / "prepared").string() +
                      "\nsequence_len: 128\nsample_packing: true\nmicro_batch_size: 1\nmax_steps: 2\n"
                      "learning_rate: 0.003\ngradient_checkpointing: true\nbf16: false\noutput_dir: " +
                      (dir / "out").string() + "\nseed: 1\n");
  r = run_axolotl({"validate", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model family: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ForCausalLM)"), std::string::npos) << r.out;
  r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "out" / "adapter_model.safetensors"));
  const std::string adapter_config = read_file(dir / "out" / "adapter_config.json");
  if (family == "phi3") {  // the fused projections are the targets themselves
    EXPECT_NE(adapter_config.find("\"qkv_proj\""), std::string::npos) << adapter_config;
    EXPECT_NE(adapter_config.find("\"gate_up_proj\""), std::string::npos) << adapter_config;
    EXPECT_EQ(adapter_config.find("\"q_proj\""), std::string::npos) << adapter_config;
  }
  r = run_axolotl({"merge", cfg.string(), "--set", "adapter.model_dir=" + (dir / "out").string(), "--output",
                   (dir / "merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto with_adapter = run_axolotl({"inference", cfg.string(), "--set", "adapter.model_dir=" + (dir / "out").string(),
                                   "--prompt", "The capital of France", "--max-new-tokens", "8"});
  auto merged = run_axolotl({"inference", cfg.string(), "--set", "model.name=" + (dir / "merged").string(), "--set",
                             "adapter.type=none", "--prompt", "The capital of France", "--max-new-tokens", "8"});
  ASSERT_EQ(with_adapter.exit_code, 0) << with_adapter.err;
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(with_adapter.out, merged.out);
  EXPECT_FALSE(with_adapter.out.empty());
}

INSTANTIATE_TEST_SUITE_P(Model, FamilyE2E, ::testing::Values("phi3", "qwen2", "qwen3", "gemma2", "gemma3"));

TEST(FamilyE2E, UnknownFamilyIsAUsageError) {
  TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir / "m").string(), "--corpus",
                        (source_dir() / "examples" / "tiny" / "corpus.txt").string(), "--family", "mixtral"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown model family"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::testing
