// scripts/examples_harness.py on a small folder of Axolotl-style configs (written here) with a tiny
// LLaMA folder (../shared/models/stories260K): it swaps base_model and datasets, validates, and
// counts per family what validated, what was refused by name and what has no tiny model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;

TEST(ExamplesHarness, CountsValidatedRefusedAndMissingFamilies) {
  AXOLOTL_REQUIRE_SHARED();
  const std::string py = python();
  if (py.empty() || std::system((py + " -c 'import yaml' 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "no PyYAML";
  TempDir dir;
  const fs::path configs = dir / "configs", models = dir / "models";
  fs::create_directories(configs / "llama-3");
  fs::create_directories(configs / "qwen3");
  fs::create_directories(models);
  fs::copy(shared_dir() / "models/stories260K", models / "llama", fs::copy_options::recursive);
  const std::string common = "datasets:\n  - path: mhenrichsen/alpaca_2k_test\n    type: alpaca\n    split: train\n"
                             "adapter: lora\nlora_r: 8\nlora_alpha: 16\nlora_target_linear: true\nsequence_len: 256\n"
                             "micro_batch_size: 2\nnum_epochs: 1\nlearning_rate: 0.0002\nwandb_project: x\n"
                             "gradient_checkpointing_kwargs:\n  use_reentrant: false\n";
  write_file(configs / "llama-3/lora.yml", "base_model: meta-llama/Llama-3.2-1B\n" + common);
  write_file(configs / "llama-3/cp.yml", "base_model: meta-llama/Llama-3.2-1B\ncontext_parallel_size: 8\n" + common);
  write_file(configs / "qwen3/lora.yml", "base_model: Qwen/Qwen3-0.6B\n" + common);
  write_file(configs / "cloud.yaml", "provider: modal\ngpu: h100\n");  // not an Axolotl config: skipped
  const fs::path out = dir / "out";
  const std::string cmd = py + " " + (source_dir() / "scripts/examples_harness.py").string() + " --configs " +
                          configs.string() + " --models " + models.string() + " --axolotl " +
                          std::getenv("AXOLOTL_BIN") + " --out " + out.string() + " --validate-only > " +
                          (dir / "table.md").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "table.md");
  const std::string table = read_file(dir / "table.md");
  // configs | validated | trained | refused-by-name | train refused | failed | train failed | no tiny model
  EXPECT_NE(table.find("| llama | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 0 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| qwen3 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |"), std::string::npos) << table;
  const std::string results = read_file(out / "results.tsv");
  EXPECT_NE(results.find("context_parallel_size"), std::string::npos) << results;
  EXPECT_EQ(results.find("cloud.yaml"), std::string::npos) << results;
}

}  // namespace
}  // namespace axolotl::testing
