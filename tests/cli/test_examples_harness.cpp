// scripts/examples_harness.py on a small folder of Axolotl-style configs (written here) against tiny
// models that scripts/harness_models.sh builds with the families' real tokenizers (../shared): it
// swaps base_model and datasets, validates, trains 2 steps and counts per family what trained, what
// was refused by name, what failed otherwise and what has no tiny model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;

// The parts of Axolotl's examples/llama-2/lora.yml that matter here, with a Hub dataset the harness
// replaces by a local file of the same type.
const char* kLoraTail =
    "datasets:\n  - path: mhenrichsen/alpaca_2k_test\n    type: alpaca\n    split: train\n"
    "val_set_size: 0.05\nadapter: lora\nlora_model_dir:\nlora_r: 8\nlora_alpha: 16\nlora_dropout: 0.05\n"
    "lora_target_linear: true\nsequence_len: 4096\nsample_packing: true\nmicro_batch_size: 4\n"
    "gradient_accumulation_steps: 4\nnum_epochs: 1\noptimizer: adamw_bnb_8bit\nlr_scheduler: cosine\n"
    "learning_rate: 0.0002\nbf16: auto\nwandb_project:\nwandb_entity:\n"
    "gradient_checkpointing: true\ngradient_checkpointing_kwargs:\n  use_reentrant: false\n"
    "warmup_ratio: 0.1\nevals_per_epoch: 4\nsaves_per_epoch: 1\nweight_decay: 0.0\n";

TEST(ExamplesHarness, TrainsRefusesByNameAndCountsPerFamily) {
  AXOLOTL_REQUIRE_SHARED();
  const std::string py = python();
  if (py.empty() || std::system((py + " -c 'import yaml' 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "no PyYAML";
  TempDir dir;
  const fs::path configs = dir / "configs", models = dir / "models", log = dir / "log.txt";
  const std::string bin = std::getenv("AXOLOTL_BIN");
  const std::string make_models = (source_dir() / "scripts/harness_models.sh").string() + " --axolotl " + bin +
                                  " --tokenizers " + (shared_dir() / "tokenizers").string() +
                                  " --only llama,qwen3,yi " + models.string() + " > " + log.string() + " 2>&1";
  ASSERT_EQ(std::system(make_models.c_str()), 0) << read_file(log);
  ASSERT_TRUE(fs::exists(models / "qwen3/tokenizer.json"));
  ASSERT_TRUE(fs::exists(models / "yi/tokenizer.model"));  // trained with Yi's <|startoftext|>/<|endoftext|>
  ASSERT_FALSE(fs::exists(models / "llama31"));  // not asked for: the Llama-3.2 config below has no model

  for (const char* d : {"llama-2", "llama-3", "qwen3", "qwen3.5", "mixtral"}) fs::create_directories(configs / d);
  write_file(configs / "llama-2/lora.yml", std::string("base_model: NousResearch/Llama-2-7b-hf\n") + kLoraTail);
  write_file(configs / "llama-2/cp.yml",
             std::string("base_model: NousResearch/Llama-2-7b-hf\ncontext_parallel_size: 8\n") + kLoraTail);
  // A typo is a failure even though wandb_project warns that trackers "are not supported".
  write_file(configs / "llama-2/typo.yml",
             std::string("base_model: NousResearch/Llama-2-7b-hf\nlora_rr: 8\nwandb_project: x\n") + kLoraTail);
  // examples/archived/yi-34B-chat: its own bos/eos are single tokens of Yi's tokenizer, and of its stand-in.
  write_file(configs / "llama-2/yi.yml", std::string("base_model: 01-ai/Yi-34B-Chat\nspecial_tokens:\n"
                                                     "  bos_token: \"<|startoftext|>\"\n  eos_token: \"<|endoftext|>\"\n") +
                                             kLoraTail);
  write_file(configs / "llama-3/lora.yml", std::string("base_model: meta-llama/Llama-3.2-1B\n") + kLoraTail);
  write_file(configs / "qwen3/chat.yml",
             "base_model: Qwen/Qwen3-0.6B\nchat_template: qwen3\n"
             "datasets:\n  - path: fozziethebeat/alpaca_messages_2k_test\n    type: chat_template\n"
             "    field_messages: messages\n    message_property_mappings:\n      role: role\n"
             "      content: content\n    roles_to_train: [\"assistant\"]\n"
             "adapter: lora\nlora_r: 8\nlora_alpha: 16\nlora_target_linear: true\nsequence_len: 2048\n"
             "micro_batch_size: 1\nnum_epochs: 1\nlearning_rate: 2e-5\n");
  write_file(configs / "qwen3.5/lora.yml", std::string("base_model: Qwen/Qwen3.5-27B\n") + kLoraTail);
  write_file(configs / "mixtral/qlora.yml", std::string("base_model: mistralai/Mixtral-8x7B-v0.1\n") + kLoraTail);
  write_file(configs / "cloud.yaml", "provider: modal\ngpu: h100\n");  // not an Axolotl config: skipped

  const fs::path out = dir / "out";
  const std::string cmd = py + " " + (source_dir() / "scripts/examples_harness.py").string() + " --configs " +
                          configs.string() + " --models " + models.string() + " --axolotl " + bin + " --out " +
                          out.string() + " --max-seq-len 128 > " + (dir / "table.md").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "table.md");
  const std::string table = read_file(dir / "table.md");
  const std::string results = read_file(out / "results.tsv");
  // configs | validated | trained | refused-by-name | train refused | failed | train failed | no tiny model
  EXPECT_NE(table.find("| llama | 5 | 2 | 2 | 1 | 0 | 1 | 0 | 1 |"), std::string::npos) << table << results;
  EXPECT_NE(table.find("| qwen3 | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 0 |"), std::string::npos) << table << results;
  EXPECT_NE(table.find("| qwen3.5 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| mixtral | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |"), std::string::npos) << table;
  EXPECT_NE(results.find("llama-2/cp.yml\tllama\tllama\tvalidate refused"), std::string::npos) << results;
  EXPECT_NE(results.find("context_parallel_size"), std::string::npos) << results;
  EXPECT_NE(results.find("llama-2/typo.yml\tllama\tllama\tvalidate failed"), std::string::npos) << results;
  EXPECT_NE(results.find("llama-3/lora.yml\tllama\tllama31\tno tiny model"), std::string::npos) << results;
  EXPECT_NE(results.find("llama-2/yi.yml\tllama\tyi\ttrained"), std::string::npos) << results;
  EXPECT_EQ(results.find("cloud.yaml"), std::string::npos) << results;
}

}  // namespace
}  // namespace axolotl::testing
