// End to end through the real executable: `axolotl create-tiny`, then `axolotl inference` on it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;

fs::path corpus() { return source_dir() / "examples" / "tiny" / "corpus.txt"; }

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

class TinyModelE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(corpus())) GTEST_SKIP() << "examples/tiny/corpus.txt absent";
    model_ = dir_ / "tiny";
    auto r = run_axolotl({"create-tiny", "--output", model_.string(), "--corpus", corpus().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // One intra-op thread: the default (all cores) crawls when the test machine is oversubscribed.
    write_file(dir_ / "config.yml", "base_model: " + model_.string() + "\nthreads: 1\n");
  }
  TempDir dir_;
  fs::path model_;
};

TEST_F(TinyModelE2E, CreatesAHuggingFaceFolderDeterministically) {
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.model",
                        "tokenizer_config.json", "special_tokens_map.json"}) {
    EXPECT_TRUE(fs::exists(model_ / f)) << f;
  }
  auto again = run_axolotl({"create-tiny", "--output", (dir_ / "again").string(), "--corpus", corpus().string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_file(model_ / "model.safetensors"), read_file(dir_ / "again" / "model.safetensors"));
  EXPECT_EQ(read_file(model_ / "tokenizer.model"), read_file(dir_ / "again" / "tokenizer.model"));
  auto other = run_axolotl({"create-tiny", "--output", (dir_ / "other").string(), "--corpus", corpus().string(),
                            "--seed", "5"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(read_file(model_ / "model.safetensors"), read_file(dir_ / "other" / "model.safetensors"));
}

TEST_F(TinyModelE2E, RefusesANonEmptyFolderWithoutForce) {
  auto r = run_axolotl({"create-tiny", "--output", model_.string(), "--corpus", corpus().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  auto forced = run_axolotl({"create-tiny", "--output", model_.string(), "--corpus", corpus().string(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(fs::exists(model_ / "model.safetensors"));
}

TEST_F(TinyModelE2E, InferenceStreamsOneLinePerPrompt) {
  const auto cfg = (dir_ / "config.yml").string();
  auto r = run_axolotl({"inference", cfg, "--prompt", "Once upon a time", "--prompt", "The cat", "--max-new-tokens",
                        "12"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(r.out), 2) << r.out;  // one line per prompt (a generated newline is written as \n)
  EXPECT_GT(r.out.size(), 2u) << "a random model still emits some tokens";
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos) << r.err;
  auto again = run_axolotl({"inference", cfg, "--prompt", "Once upon a time", "--prompt", "The cat",
                            "--max-new-tokens", "12"});
  EXPECT_EQ(again.out, r.out) << "greedy decoding is deterministic";
  auto from_stdin = run_axolotl({"inference", cfg, "--max-new-tokens", "12"}, "Once upon a time\nThe cat\n");
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, r.out);
  // An empty input line gets an empty output line, so the lines stay paired.
  auto gaps = run_axolotl({"inference", cfg, "--max-new-tokens", "12"}, "Once upon a time\n\nThe cat\n");
  ASSERT_EQ(gaps.exit_code, 0) << gaps.err;
  EXPECT_EQ(count_lines(gaps.out), 3) << gaps.out;
  EXPECT_EQ(gaps.out, r.out.substr(0, r.out.find('\n') + 1) + "\n" + r.out.substr(r.out.find('\n') + 1));
}

TEST_F(TinyModelE2E, SeededSamplingAndAlpacaTemplate) {
  const auto cfg = (dir_ / "config.yml").string();
  const std::vector<std::string> args{"inference", cfg, "--prompt", "Tell a story", "--max-new-tokens", "10",
                                      "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95",
                                      "--repetition-penalty", "1.1", "--seed", "3", "--template", "alpaca"};
  auto a = run_axolotl(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(run_axolotl(args).out, a.out);
  auto bad = run_axolotl({"inference", cfg, "--prompt", "x", "--template", "nope"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST_F(TinyModelE2E, ChatKeepsOneConversationThroughTheTemplate) {
  const auto cfg = (dir_ / "config.yml").string();
  auto r = run_axolotl({"inference", cfg, "--chat", "--template", "chatml", "--max-new-tokens", "4"}, "Hello\nAgain\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no adapter found"), std::string::npos) << r.err;
  // The second turn's prompt holds the first exchange: more prompt tokens than the first.
  auto first = r.err.find("prompt "), second = r.err.find("prompt ", first + 1);
  ASSERT_NE(second, std::string::npos) << r.err;
  EXPECT_LT(std::stoi(r.err.substr(first + 7)), std::stoi(r.err.substr(second + 7))) << r.err;
  auto bad = run_axolotl({"inference", cfg, "--chat", "--template", "jinja"}, "x\n");
  EXPECT_EQ(bad.exit_code, 2) << "chat_template: jinja without chat_template_jinja is a config error";
}

// --template takes every chat_template value training takes: each named template, the fallback form and
// jinja (with the config's chat_template_jinja); the tiny tokenizer has no template, so tokenizer_default fails.
TEST_F(TinyModelE2E, TemplateAcceptsEveryTrainingTemplate) {
  write_file(dir_ / "jinja.yml", "base_model: " + model_.string() +
                                     "\nthreads: 1\nchat_template_jinja: \"{% for m in messages %}[{{ m.content }}]{% endfor %}\"\n");
  for (const char* name : {"chatml", "llama2", "llama3", "qwen_25", "qwen3", "gemma", "gemma3", "phi_3", "phi_4",
                           "mistral_v1", "mistral", "mistral_v2v3", "mistral_v3_tekken", "alpaca",
                           "tokenizer_default_fallback_chatml", "jinja"}) {
    const std::string cfg = (dir_ / (std::string(name) == "jinja" ? "jinja.yml" : "config.yml")).string();
    auto r = run_axolotl({"inference", cfg, "--chat", "--template", name, "--max-new-tokens", "1"}, "Hello\n");
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(count_lines(r.out), 1) << name;
  }
  auto none = run_axolotl({"inference", (dir_ / "config.yml").string(), "--chat", "--template", "tokenizer_default"}, "x\n");
  EXPECT_EQ(none.exit_code, 2) << none.err;
}

// Without a top-level chat_template, --chat renders with the first dataset's own, as training did
// (Axolotl's resolve_chat_template_str); the tiny model's tokenizer has no template of its own.
TEST_F(TinyModelE2E, ChatUsesTheFirstDatasetsTemplate) {
  write_file(dir_ / "chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n");
  write_file(dir_ / "ds.yml", "base_model: " + model_.string() + "\nthreads: 1\ndatasets:\n  - path: " +
                                  (dir_ / "chat.jsonl").string() + "\n    type: chat_template\n    chat_template: chatml\n");
  auto prompt_tokens = [&](const std::vector<std::string>& args) {
    auto r = run_axolotl(args, "Hello\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto at = r.err.find("prompt ");
    return at == std::string::npos ? -1 : std::stoi(r.err.substr(at + 7));
  };
  const auto cfg = (dir_ / "config.yml").string();
  int from_dataset = prompt_tokens({"inference", (dir_ / "ds.yml").string(), "--chat", "--max-new-tokens", "1"});
  EXPECT_GT(from_dataset, 0);
  EXPECT_EQ(from_dataset, prompt_tokens({"inference", cfg, "--chat", "--template", "chatml", "--max-new-tokens", "1"}));
  EXPECT_NE(from_dataset, prompt_tokens({"inference", cfg, "--chat", "--template", "llama3", "--max-new-tokens", "1"}));
}

TEST(InferenceE2E, MissingModelFolderIsAClearError) {
  TempDir dir;
  write_file(dir / "config.yml", "base_model: " + (dir / "absent").string() + "\n");
  auto r = run_axolotl({"inference", (dir / "config.yml").string(), "--prompt", "hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a local folder"), std::string::npos) << r.err;
}

TEST(InferenceE2E, UncachedHubRepoOfflineIsAnError) {
  TempDir dir;
  setenv("HF_HUB_OFFLINE", "1", 1);
  setenv("HF_HOME", (dir / "hf").c_str(), 1);
  write_file(dir / "config.yml", "base_model: nobody/no-such-model\n");
  auto r = run_axolotl({"inference", (dir / "config.yml").string(), "--prompt", "hi"});
  unsetenv("HF_HUB_OFFLINE");
  unsetenv("HF_HOME");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("nobody/no-such-model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::testing
