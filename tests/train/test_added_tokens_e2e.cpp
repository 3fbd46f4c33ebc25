// Tokens added by a config (`tokens:`) through the real executable on the tiny model (tied
// embeddings): LoRA without lora_modules_to_save is refused as Axolotl refuses it; with
// [embed_tokens, lm_head] the run trains, the adapter carries the grown table, inference reloads it
// and generates from a prompt holding the new tokens, and merge writes a model of the grown vocabulary
// that generates by itself. The tokenizer files of the output, checkpoints and merge carry the added
// tokens (tokenize on those folders gives the training ids); resize_token_embeddings_to_32x rounds
// the table. A pre-tokenized id past the vocabulary is an error naming file and row.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "axolotl/io/safetensors.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

class AddedTokensE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", model_dir().string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model_dir() { return dir_->path() / "tiny-model"; }
  static int64_t base_vocab() {
    return nlohmann::json::parse(testing::read_file(model_dir() / "config.json"))["vocab_size"].get<int64_t>();
  }

  static fs::path config(const fs::path& out, const std::string& extra) {
    std::map<std::string, std::string> keys = {
        {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
        {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"}, {"learning_rate", "0.003"},
        {"bf16", "false"}, {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "2"},
        {"tokens", "[\"<|im_start|>\", \"<|im_end|>\"]"}};
    return testing::write_alpaca_config(out, std::move(keys), extra);
  }

  // Rows of the tensor whose name ends with `suffix` in a safetensors file (-1 when absent).
  static int64_t rows_of(const fs::path& file, const std::string& suffix) {
    const std::string bytes = testing::read_file(file);
    const auto h = io::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), file.string());
    for (const auto& t : h.tensors) {
      if (t.name.size() >= suffix.size() && t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return t.shape.at(0);
      }
    }
    return -1;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* AddedTokensE2E::dir_ = nullptr;

TEST_F(AddedTokensE2E, LoraWithoutSavedEmbeddingsIsRefusedBeforeTraining) {
  const fs::path out = dir_->path() / "unsaved";
  const auto r = run_axolotl({"train", config(out, "").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("lora_modules_to_save"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[embed_tokens, lm_head]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "adapter_model.safetensors"));
}

TEST_F(AddedTokensE2E, TrainSaveReloadMergeAndGenerateWithTheGrownVocabulary) {
  const fs::path out = dir_->path() / "added";
  const int64_t vocab = base_vocab();
  const fs::path cfg = config(out, "lora_modules_to_save: [embed_tokens, lm_head]\nsave_steps: 1\n");
  auto r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resized the token embedding"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lm_head is tied to embed_tokens"), std::string::npos) << r.err;
  EXPECT_EQ(rows_of(out / "adapter_model.safetensors", "embed_tokens.weight"), vocab + 2);
  EXPECT_EQ(rows_of(out / "checkpoint-1" / "adapter_model.safetensors", "embed_tokens.weight"), vocab + 2);

  // Reload: inference grows the base to the adapter's rows, then runs on the new ids.
  const std::vector<std::string> prompt{"--prompt", "<|im_start|>user Tell a story<|im_end|>", "--max-new-tokens", "6"};
  std::vector<std::string> args{"inference", cfg.string()};
  args.insert(args.end(), prompt.begin(), prompt.end());
  r = run_axolotl(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());

  // Merge: the grown table replaces the base's, and config.json says so.
  const fs::path merged = dir_->path() / "added-merged";
  r = run_axolotl({"merge", cfg.string(), "--output", merged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rows_of(merged / "model.safetensors", "model.embed_tokens.weight"), vocab + 2);
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(merged / "config.json"))["vocab_size"], vocab + 2);

  // The tokenizer files of the output, every checkpoint and the merge carry the added tokens as the
  // slow tokenizer's save_pretrained writes them: tokenize on each folder alone (no config) gives the
  // training ids, one id per token.
  const std::string both = "[" + std::to_string(vocab) + "," + std::to_string(vocab + 1) + "]";
  for (const fs::path& folder : {out, out / "checkpoint-1", merged}) {
    SCOPED_TRACE(folder.string());
    const auto added = nlohmann::json::parse(testing::read_file(folder / "added_tokens.json"));
    EXPECT_EQ(added["<|im_start|>"], vocab);
    EXPECT_EQ(added["<|im_end|>"], vocab + 1);
    const auto cfgjson = nlohmann::json::parse(testing::read_file(folder / "tokenizer_config.json"));
    EXPECT_EQ(cfgjson["added_tokens_decoder"][std::to_string(vocab)]["content"], "<|im_start|>");
    EXPECT_EQ(cfgjson["added_tokens_decoder"][std::to_string(vocab)]["special"], false);
    r = run_axolotl({"tokenize", "--tokenizer", folder.string(), "--text", "<|im_start|><|im_end|>", "--no-special"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, both + "\n");
  }
  r = run_axolotl({"tokenize", cfg.string(), "--text", "<|im_start|><|im_end|>", "--no-special"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, both + "\n");  // the ids training used

  // The merged model generates alone: no adapter, and no tokens: in its config.
  testing::write_file(dir_->path() / "merged.yml", "base_model: " + merged.string() + "\nbf16: false\n"
                      "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  args = {"inference", (dir_->path() / "merged.yml").string()};
  args.insert(args.end(), prompt.begin(), prompt.end());
  r = run_axolotl(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
}

// Axolotl lets LoRA add a pad_token (and a special token of at most 2 pieces) without
// lora_modules_to_save: the row stays as initialised, and the adapter stores the grown table in full as
// PEFT's save_embedding_layers="auto" does (tied model: embed_tokens alone). Merge and inference use it.
TEST_F(AddedTokensE2E, NewPadTokenWithLoraTrainsAndTheAdapterCarriesTheFrozenTable) {
  const fs::path out = dir_->path() / "pad";
  const int64_t vocab = base_vocab();
  std::map<std::string, std::string> keys = {
      {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared-pad").string()},
      {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
      {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"}, {"learning_rate", "0.003"},
      {"bf16", "false"}, {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "2"}, {"save_steps", "1"}};
  const fs::path cfg = testing::write_alpaca_config(out, std::move(keys), "special_tokens: {pad_token: \"<pad>\"}\n");
  auto r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("save_embedding_layers"), std::string::npos) << r.err;
  EXPECT_EQ(rows_of(out / "adapter_model.safetensors", "model.embed_tokens.weight"), vocab + 1);
  EXPECT_EQ(rows_of(out / "checkpoint-1" / "adapter_model.safetensors", "model.embed_tokens.weight"), vocab + 1);
  const auto adapter_cfg = nlohmann::json::parse(testing::read_file(out / "adapter_config.json"));
  EXPECT_TRUE(adapter_cfg["modules_to_save"].is_null());  // frozen, as PEFT writes it

  // The stored table is the base's rows plus the new one: LoRA did not train it.
  const std::string base_bytes = testing::read_file(model_dir() / "model.safetensors");
  const std::string ad_bytes = testing::read_file(out / "adapter_model.safetensors");
  const auto base_h = io::parse_safetensors(reinterpret_cast<const uint8_t*>(base_bytes.data()), base_bytes.size(), "base");
  const auto ad_h = io::parse_safetensors(reinterpret_cast<const uint8_t*>(ad_bytes.data()), ad_bytes.size(), "adapter");
  const io::TensorInfo* base_t = nullptr;
  const io::TensorInfo* ad_t = nullptr;
  for (const auto& t : base_h.tensors) if (t.name == "model.embed_tokens.weight") base_t = &t;
  for (const auto& t : ad_h.tensors) if (t.name == "base_model.model.model.embed_tokens.weight") ad_t = &t;
  ASSERT_TRUE(base_t && ad_t);
  ASSERT_EQ(base_t->dtype, ad_t->dtype);
  ASSERT_EQ(ad_t->nbytes(), base_t->nbytes() / vocab * (vocab + 1));
  EXPECT_EQ(0, std::memcmp(base_bytes.data() + base_h.data_start + base_t->begin,
                           ad_bytes.data() + ad_h.data_start + ad_t->begin, base_t->nbytes()));

  const fs::path merged = dir_->path() / "pad-merged";
  r = run_axolotl({"merge", cfg.string(), "--output", merged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(merged / "config.json"))["vocab_size"], vocab + 1);
  r = run_axolotl({"inference", cfg.string(), "--prompt", "Tell a story", "--max-new-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// A new bos/eos token of more than 2 pieces is refused without lora_modules_to_save, as Axolotl does.
TEST_F(AddedTokensE2E, NewLongEosTokenWithLoraIsRefused) {
  const fs::path out = dir_->path() / "eos";
  std::map<std::string, std::string> keys = {
      {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared-eos").string()},
      {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_target_linear", "true"},
      {"micro_batch_size", "4"}, {"bf16", "false"}, {"max_steps", "1"}};
  const fs::path cfg = testing::write_alpaca_config(out, std::move(keys), "special_tokens: {eos_token: \"<|my_end_of_turn|>\"}\n");
  const auto r = run_axolotl({"train", cfg.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("special_tokens.eos_token"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[embed_tokens, lm_head]"), std::string::npos) << r.err;
}

// resize_token_embeddings_to_32x: the grown table has the tokenizer size rounded up to 32 rows, in
// the adapter and in the merged model.
TEST_F(AddedTokensE2E, ResizeTo32xRoundsTheGrownTable) {
  const fs::path out = dir_->path() / "x32";
  const int64_t vocab = base_vocab();
  const int64_t rows = (vocab + 2 + 31) / 32 * 32;
  ASSERT_NE(rows, vocab + 2) << "the tiny vocabulary plus 2 must not be a multiple of 32 for this test";
  const fs::path cfg = config(out, "lora_modules_to_save: [embed_tokens, lm_head]\nresize_token_embeddings_to_32x: true\n");
  auto r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rows_of(out / "adapter_model.safetensors", "embed_tokens.weight"), rows);
  const fs::path merged = dir_->path() / "x32-merged";
  r = run_axolotl({"merge", cfg.string(), "--output", merged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(merged / "config.json"))["vocab_size"], rows);
}

TEST_F(AddedTokensE2E, BaseModelAloneRefusesTheNewIdsCleanly) {
  // No resize happens outside training: a prompt with an added token is an error, not a crash.
  testing::write_file(dir_->path() / "plain.yml",
                      "base_model: " + model_dir().string() + "\ntokens: [\"<|im_start|>\"]\nbf16: false\n"
                      "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  const auto r = run_axolotl({"inference", (dir_->path() / "plain.yml").string(), "--prompt", "<|im_start|> hi",
                              "--max-new-tokens", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("token id outside the embedding table"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("index out of range"), std::string::npos) << r.err;
}

TEST_F(AddedTokensE2E, PretokenizedIdPastTheVocabularyNamesFileAndRow) {
  const fs::path rows = dir_->path() / "ids.jsonl";
  testing::write_file(rows, "{\"input_ids\": [1, 5, 6, 7]}\n{\"input_ids\": [1, 5, " + std::to_string(base_vocab() + 40) +
                                "]}\n");
  const fs::path out = dir_->path() / "pretok";
  testing::write_file(out.string() + ".yml", "base_model: " + model_dir().string() + "\ndatasets:\n  - path: " +
                                                 rows.string() + "\noutput_dir: " + out.string() +
                                                 "\nbf16: false\nmax_steps: 1\nmicro_batch_size: 1\n");
  const auto r = run_axolotl({"train", out.string() + ".yml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(rows.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("token id out of range"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("index out of range"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::train
