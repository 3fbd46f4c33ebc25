// End to end with the real Qwen3 and Llama-3 tokenizers: `axolotl create-tiny --tokenizer` builds a
// tiny model, `axolotl train` fits a LoRA on one `type: chat_template` conversation rendered with
// `chat_template: tokenizer_default` (the tokenizer's own template), and `axolotl inference --chat`
// (stdin mode) answers with the trained reply and stops at the template's end-of-turn token.
// Skips without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "data/data_test_util.h"
#include "test_support.h"

namespace axolotl {
namespace {
namespace fs = std::filesystem;

constexpr const char* kReply = "Pong pong.";

// Trains on the tokenizer in ../shared/tokenizers/<name>; returns inference's stdout and stderr.
testing::RunResult train_and_chat(const std::string& name, const std::string& extra_yaml) {
  const fs::path tok = testing::shared_dir() / "tokenizers" / name;
  testing::TempDir dir;
  auto r = testing::run_axolotl({"create-tiny", "--output", (dir / "model").string(), "--tokenizer", tok.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return r;
  std::string row = R"({"messages": [{"role": "user", "content": "Ping"}, {"role": "assistant", "content": ")" +
                    std::string(kReply) + "\"}]}\n";
  testing::write_file(dir / "chat.jsonl", row + row);
  testing::write_file(dir / "config.yml",
                      "base_model: " + (dir / "model").string() + "\n"
                      "datasets:\n  - path: " + (dir / "chat.jsonl").string() + "\n    type: chat_template\n"
                      "chat_template: tokenizer_default\n" + extra_yaml +
                      "adapter: lora\nlora_r: 8\nlora_alpha: 16\nlora_target_linear: true\n"
                      "sequence_len: 64\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nmax_steps: 40\n"
                      "learning_rate: 0.01\nlr_scheduler: constant\noptimizer: adamw_torch\nval_set_size: 0\n"
                      "threads: 1\nseed: 1\noutput_dir: " + (dir / "out").string() + "\n"
                      "dataset_prepared_path: " + (dir / "prepared").string() + "\n");
  r = testing::run_axolotl({"train", (dir / "config.yml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return r;
  return testing::run_axolotl({"inference", (dir / "config.yml").string(), "--chat", "--max-new-tokens", "12"},
                              "Ping\n");
}

void expect_trained_reply(const testing::RunResult& r) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kReply) + "\n") << r.err;
  EXPECT_NE(r.err.find("(eos)"), std::string::npos) << "generation stops at the end-of-turn token: " << r.err;
  EXPECT_EQ(r.err.find("no adapter found"), std::string::npos) << "the trained adapter is used: " << r.err;
}

TEST(ChatE2E, Qwen3OwnTemplateTrainsAndChats) {
  AXOLOTL_REQUIRE_SHARED();
  if (!fs::exists(testing::shared_dir() / "tokenizers/qwen3/tokenizer.json")) GTEST_SKIP() << "qwen3 absent";
  // Qwen3's eos_token is its end of turn, <|im_end|>.
  expect_trained_reply(train_and_chat("qwen3", ""));
}

TEST(ChatE2E, Llama3OwnTemplateTrainsAndChats) {
  AXOLOTL_REQUIRE_SHARED();
  if (!fs::exists(testing::shared_dir() / "tokenizers/llama3/tokenizer.json")) GTEST_SKIP() << "llama3 absent";
  // The base Llama-3 tokenizer's eos is <|end_of_text|>; its template ends turns with <|eot_id|>.
  expect_trained_reply(train_and_chat("llama3", "eot_tokens:\n  - \"<|eot_id|>\"\n"));
}

// `inference --chat` passes chat_template_kwargs (config) and --chat-template-kwargs /
// --enable-thinking / --no-enable-thinking (command line, in that order of precedence) to Qwen3's own
// template: with enable_thinking false the prompt ends in the empty think block, exactly as
// apply_chat_template renders it (goldens: tests/reference/chat_key_order_reference.py).
TEST(ChatE2E, Qwen3EnableThinkingReachesTheTemplate) {
  AXOLOTL_REQUIRE_SHARED();
  const fs::path tok = testing::shared_dir() / "tokenizers/qwen3";
  if (!fs::exists(tok / "tokenizer.json")) GTEST_SKIP() << "qwen3 absent";
  std::ifstream in(testing::source_dir() / "tests/assets/chat_key_order_golden.json");
  ASSERT_TRUE(in);
  const auto golden = nlohmann::json::parse(in);
  auto tokenizer = testing::shared_tokenizer("tokenizers/qwen3");
  std::map<std::string, size_t> expected;  // "default" | "false" | "true" -> prompt tokens
  for (const auto& g : golden["generation"]) {
    const std::string key = g["kwargs"].contains("enable_thinking") ? g["kwargs"]["enable_thinking"].dump() : "default";
    expected[key] = tokenizer->encode(g["output"].get<std::string>(), false, false).size();
  }
  ASSERT_EQ(expected.size(), 3u);
  ASSERT_GT(expected["false"], expected["default"]);  // the think block's tokens

  testing::TempDir dir;
  auto r = testing::run_axolotl({"create-tiny", "--output", (dir / "model").string(), "--tokenizer", tok.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto config = [&](const std::string& name, const std::string& extra) {
    testing::write_file(dir / name, "base_model: " + (dir / "model").string() + "\nchat_template: tokenizer_default\n" +
                                        extra + "output_dir: " + (dir / "out").string() + "\n");
    return (dir / name).string();
  };
  const std::string plain = config("plain.yml", "");
  const std::string no_think = config("no_think.yml", "chat_template_kwargs:\n  enable_thinking: false\n");
  auto prompt_tokens = [&](std::vector<std::string> args) -> size_t {
    args.insert(args.begin(), "inference");
    for (const char* a : {"--chat", "--max-new-tokens", "1"}) args.emplace_back(a);
    auto run = testing::run_axolotl(args, "Ping\n");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::smatch m;
    if (!std::regex_search(run.err, m, std::regex("prompt (\\d+) tokens"))) {
      ADD_FAILURE() << "no prompt size in: " << run.err;
      return 0;
    }
    return std::stoul(m[1].str());
  };
  EXPECT_EQ(prompt_tokens({plain}), expected["default"]);
  EXPECT_EQ(prompt_tokens({plain, "--no-enable-thinking"}), expected["false"]);
  EXPECT_EQ(prompt_tokens({plain, "--chat-template-kwargs", R"({"enable_thinking": false})"}), expected["false"]);
  EXPECT_EQ(prompt_tokens({no_think}), expected["false"]);
  EXPECT_EQ(prompt_tokens({no_think, "--enable-thinking"}), expected["true"]);
  auto bad = testing::run_axolotl({"inference", plain, "--chat", "--chat-template-kwargs", "[1]"}, "Ping\n");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--chat-template-kwargs"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace axolotl
