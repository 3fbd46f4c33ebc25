// End to end with the real Llama-3 tokenizer (tokenizer.json, vocab 128,256): `axolotl create-tiny
// --tokenizer` builds a tiny LLaMA around ../shared/tokenizers/llama3, and Axolotl's
// examples/llama-3/lora-1b.yml (read from the Python Axolotl mirror when present, else an equivalent
// copy) trains two steps with only base_model, datasets and sizes replaced; the output folder
// carries tokenizer.json and tokenizer_config.json. With an added token (lora-8b.yml's
// lora_modules_to_save) the merge output's tokenizer files encode it as one id equal to the training
// id and the merged model generates. `init --preset llama-3-8b` trains once its model is in the Hub
// cache (offline). Skips without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <cstdlib>
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

class Llama3Model : public ::testing::Test {
 protected:
  void SetUp() override {
    AXOLOTL_REQUIRE_SHARED();
    tok_ = testing::shared_dir() / "tokenizers/llama3";
    if (!fs::exists(tok_ / "tokenizer.json")) GTEST_SKIP() << tok_ << " absent";
  }
  void make_model(const fs::path& where) {
    const auto r = testing::run_axolotl({"create-tiny", "--output", where.string(), "--tokenizer", tok_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string example(const fs::path& model, const fs::path& out) const {
    std::string yaml = kLora1b;
    yaml = replace_key(yaml, "base_model", model.string());
    yaml = replace_key(yaml, "datasets", "\n  - path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() +
                                             "\n    type: alpaca");
    yaml = replace_key(yaml, "output_dir", out.string());
    yaml = replace_key(yaml, "sequence_len", "128");
    yaml = replace_key(yaml, "val_set_size", "0");
    yaml = replace_key(yaml, "evals_per_epoch", "0");
    return yaml + "max_steps: 2\ndataset_prepared_path: " + (dir_ / "prepared").string() + "\n";
  }
  testing::TempDir dir_;
  fs::path tok_;
};

TEST_F(Llama3Model, AddedTokenSurvivesMergeWithTheTrainingId) {
  make_model(dir_ / "model");
  const std::string yaml = example(dir_ / "model", dir_ / "out") +
                           "lora_modules_to_save:\n  - embed_tokens\n  - lm_head\ntokens:\n  - \"<|im_start|>\"\n";
  testing::write_file(dir_ / "cfg.yml", yaml);
  auto r = testing::run_axolotl({"train", (dir_ / "cfg.yml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_axolotl({"merge", (dir_ / "cfg.yml").string(), "--output", (dir_ / "merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // tokenizer.json added_tokens and tokenizer_config.json added_tokens_decoder, as save_pretrained writes.
  const auto tj = nlohmann::json::parse(testing::read_file(dir_ / "merged/tokenizer.json"));
  ASSERT_FALSE(tj["added_tokens"].empty());
  EXPECT_EQ(tj["added_tokens"].back()["content"], "<|im_start|>");
  EXPECT_EQ(tj["added_tokens"].back()["id"], 128256);
  const auto tc = nlohmann::json::parse(testing::read_file(dir_ / "merged/tokenizer_config.json"));
  EXPECT_EQ(tc["added_tokens_decoder"]["128256"]["content"], "<|im_start|>");
  EXPECT_EQ(tc["pad_token"], "<|end_of_text|>");  // the example's special_tokens
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(dir_ / "merged/config.json"))["vocab_size"], 128257);
  const std::string text = "<|im_start|>user";
  r = testing::run_axolotl({"tokenize", (dir_ / "cfg.yml").string(), "--text", text, "--no-special"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string training_ids = r.out;
  EXPECT_EQ(training_ids.rfind("[128256,", 0), 0u) << training_ids;
  r = testing::run_axolotl({"tokenize", "--tokenizer", (dir_ / "merged").string(), "--text", text, "--no-special"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, training_ids);
  testing::write_file(dir_ / "merged.yml", "base_model: " + (dir_ / "merged").string() +
                                               "\nbf16: false\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  r = testing::run_axolotl({"inference", (dir_ / "merged.yml").string(), "--prompt", text, "--max-new-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
}

// The preset's base_model (meta-llama/Meta-Llama-3-8B) resolves offline from the Hub cache layout.
TEST_F(Llama3Model, InitPresetTrainsOnceTheModelIsInTheHubCache) {
  const fs::path cache = dir_ / "hub";
  const std::string commit(40, 'a');
  const fs::path repo = cache / "models--meta-llama--Meta-Llama-3-8B";
  make_model(repo / "snapshots" / commit);
  testing::write_file(repo / "refs/main", commit);
  auto r = testing::run_axolotl({"init", "--preset", "llama-3-8b", "--output", (dir_ / "preset.yml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  setenv("HF_HUB_CACHE", cache.c_str(), 1);
  setenv("HF_HUB_OFFLINE", "1", 1);
  r = testing::run_axolotl({"train", (dir_ / "preset.yml").string(), "--max-steps", "2", "--sequence-len", "128",
                            "--output-dir", (dir_ / "preset-out").string(), "--dataset-prepared-path",
                            (dir_ / "prepared").string(), "--set",
                            "datasets=[{path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() +
                                ", type: alpaca}]"});
  unsetenv("HF_HUB_CACHE");
  unsetenv("HF_HUB_OFFLINE");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "preset-out/adapter_model.safetensors"));
  EXPECT_TRUE(fs::exists(dir_ / "preset-out/tokenizer.json"));
}

}  // namespace
}  // namespace axolotl
