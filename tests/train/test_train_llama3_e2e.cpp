// End to end with the real Llama-3 tokenizer (tokenizer.json, vocab 128,256): `axolotl create-tiny
// --tokenizer` builds a tiny LLaMA around ../shared/tokenizers/llama3, and Axolotl's
// examples/llama-3/lora-1b.yml (read from the Python Axolotl mirror when present, else an equivalent
// copy) trains two steps with only base_model, datasets and sizes replaced; the output folder
// carries tokenizer.json and tokenizer_config.json. Skips without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace axolotl {
namespace {
namespace fs = std::filesystem;

// The example as Axolotl ships it (examples/llama-3/lora-1b.yml, commented lines dropped).
constexpr const char* kLora1b = R"(base_model: NousResearch/Llama-3.2-1B
datasets:
  - path: teknium/GPT4-LLM-Cleaned
    type: alpaca
val_set_size: 0.1
output_dir: ./outputs/lora-out
adapter: lora
lora_model_dir:
sequence_len: 2048
sample_packing: true
eval_sample_packing: true
lora_r: 16
lora_alpha: 32
lora_dropout: 0.05
lora_target_modules:
  - gate_proj
  - down_proj
  - up_proj
  - q_proj
  - v_proj
  - k_proj
  - o_proj
wandb_project:
wandb_entity:
wandb_watch:
wandb_name:
wandb_log_model:
gradient_accumulation_steps: 2
micro_batch_size: 2
num_epochs: 1
optimizer: adamw_8bit
lr_scheduler: cosine
learning_rate: 0.0002
bf16: auto
tf32: false
gradient_checkpointing: true
resume_from_checkpoint:
logging_steps: 1
attn_implementation: flash_attention_2
loss_watchdog_threshold: 5.0
loss_watchdog_patience: 3
warmup_ratio: 0.1
evals_per_epoch: 4
saves_per_epoch: 1
weight_decay: 0.0
special_tokens:
  pad_token: "<|end_of_text|>"
)";

// Replaces the value of a top-level `key:` line (and the indented block under it) with `value`.
std::string replace_key(const std::string& yaml, const std::string& key, const std::string& value) {
  std::istringstream in(yaml);
  std::string out, line;
  bool skipping = false;
  while (std::getline(in, line)) {
    if (skipping && !line.empty() && (line[0] == ' ' || line[0] == '-')) continue;
    skipping = false;
    if (line.rfind(key + ":", 0) == 0) {
      out += key + ": " + value + "\n";
      skipping = true;
      continue;
    }
    out += line + "\n";
  }
  return out;
}

TEST(Llama3E2E, TinyModelWithTheRealTokenizerTrainsFromTheExampleConfig) {
  AXOLOTL_REQUIRE_SHARED();
  const fs::path tok = testing::shared_dir() / "tokenizers/llama3";
  if (!fs::exists(tok / "tokenizer.json")) GTEST_SKIP() << tok << " absent";
  testing::TempDir dir;
  auto r = testing::run_axolotl({"create-tiny", "--output", (dir / "model").string(), "--tokenizer", tok.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cfg = nlohmann::json::parse(testing::read_file(dir / "model/config.json"));
  EXPECT_EQ(cfg["vocab_size"].get<int>(), 128256);

  std::string yaml = kLora1b;
  yaml = replace_key(yaml, "base_model", (dir / "model").string());
  yaml = replace_key(yaml, "datasets",
                     "\n  - path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() + "\n    type: alpaca");
  yaml = replace_key(yaml, "output_dir", (dir / "out").string());
  yaml = replace_key(yaml, "sequence_len", "128");
  yaml = replace_key(yaml, "val_set_size", "0");
  yaml = replace_key(yaml, "evals_per_epoch", "0");
  yaml += "max_steps: 2\ndataset_prepared_path: " + (dir / "prepared").string() + "\n";
  testing::write_file(dir / "lora-1b.yml", yaml);
  r = testing::run_axolotl({"train", (dir / "lora-1b.yml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out/tokenizer.json"));
  EXPECT_TRUE(fs::exists(dir / "out/tokenizer_config.json"));
  std::ifstream metrics(dir / "out/metrics.jsonl");
  int losses = 0;
  for (std::string line; std::getline(metrics, line);) losses += line.find("\"loss\"") != std::string::npos;
  EXPECT_GE(losses, 2) << r.err;
}

}  // namespace
}  // namespace axolotl
