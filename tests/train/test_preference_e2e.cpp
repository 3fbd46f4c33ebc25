// `axolotl train` with rl: dpo / ipo / orpo through the real executable on the tiny model `axolotl
// create-tiny` makes: a fresh adapter's first DPO loss is ln 2 exactly, TRL's metric names reach
// metrics.jsonl, the reward margin turns positive, a resumed run repeats the uninterrupted one exactly,
// 2 ranks equal 1 process, IPO and ORPO train, config errors explain themselves, and
// Axolotl's own DPO example (read from the Axolotl mirror when present) trains for 2 steps with its
// base_model and dataset swapped for the tiny model and a local file of the same shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/train/metrics_writer.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_axolotl;

class PreferenceE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", model_dir().string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Preference rows from the bundled alpaca rows: the right answer is chosen, the next row's rejected.
    std::vector<json> rows;
    std::ifstream in(testing::source_dir() / "examples/tiny/data.jsonl");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) rows.push_back(json::parse(line));
    std::string intel, conversation, argilla;
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string q = rows[i]["instruction"].get<std::string>() +
                            (rows[i]["input"].get<std::string>().empty() ? "" : "\n" + rows[i]["input"].get<std::string>());
      const std::string good = rows[i]["output"], bad = rows[(i + 1) % rows.size()]["output"];
      intel += json{{"system", i % 3 == 0 ? "Answer briefly." : ""}, {"question", q}, {"chosen", good}, {"rejected", bad}}.dump() + "\n";
      conversation += json{{"conversation", json::array({{{"role", "user"}, {"content", q}}})},
                           {"chosen", {{"role", "assistant"}, {"content", good}}},
                           {"rejected", {{"role", "assistant"}, {"content", bad}}}}.dump() + "\n";
      argilla += json{{"chosen", json::array({{{"role", "user"}, {"content", q}}, {{"role", "assistant"}, {"content", good}}})},
                      {"rejected", json::array({{{"role", "user"}, {"content", q}}, {{"role", "assistant"}, {"content", bad}}})}}
                     .dump() + "\n";
    }
    testing::write_file(intel_file(), intel);
    testing::write_file(conversation_file(), conversation);
    testing::write_file(argilla_file(), argilla);
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model_dir() { return dir_->path() / "tiny-model"; }
  static fs::path intel_file() { return dir_->path() / "intel.jsonl"; }
  static fs::path conversation_file() { return dir_->path() / "conversation.jsonl"; }
  static fs::path argilla_file() { return dir_->path() / "argilla.jsonl"; }

  // A flat-dialect rl config on the intel rows; `extra` ("key: value" lines) adds or replaces keys.
  static fs::path config(const fs::path& out, const std::string& extra, const std::string& dataset = "") {
    std::map<std::string, std::string> keys = {
        {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "96"}, {"adapter", "lora"}, {"lora_r", "8"},
        {"lora_alpha", "16"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"},
        {"gradient_accumulation_steps", "1"}, {"learning_rate", "0.003"}, {"lr_scheduler", "constant"},
        {"bf16", "false"}, {"seed", "7"}, {"logging_steps", "1"}, {"rl", "dpo"}, {"max_steps", "12"}};
    std::stringstream lines(extra);
    for (std::string line; std::getline(lines, line);) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) keys[line.substr(0, colon)] = line.substr(colon + 2);
    }
    std::string yaml = dataset.empty() ? "datasets:\n  - path: " + intel_file().string() + "\n    type: chatml.intel\n" : dataset;
    for (const auto& [k, v] : keys) yaml += k + ": " + v + "\n";
    const fs::path p = out.string() + ".yml";
    testing::write_file(p, yaml);
    return p;
  }

  static std::vector<json> train_records(const fs::path& out) {
    std::vector<json> v;
    for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
      if (j.contains("loss")) v.push_back(j);
    return v;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* PreferenceE2E::dir_ = nullptr;

TEST_F(PreferenceE2E, DpoStartsAtLn2AndLearnsThePreference) {
  const fs::path out = dir_->path() / "dpo";
  const auto r = run_axolotl({"train", config(out, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 12u);
  EXPECT_EQ(recs[0]["loss"].get<double>(), static_cast<double>(static_cast<float>(std::log(2.0))))
      << "B = 0: the policy is the reference, every log-ratio is 0";
  for (const char* k : {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
                        "logps/rejected", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy"})
    EXPECT_TRUE(recs[0].contains(k)) << k;
  EXPECT_EQ(recs[0]["rewards/margins"].get<double>(), 0.0);
  double late_margin = 0, late_loss = 0;
  for (size_t i = 9; i < 12; ++i) {
    late_margin += recs[i]["rewards/margins"].get<double>() / 3;
    late_loss += recs[i]["loss"].get<double>() / 3;
  }
  EXPECT_GT(late_margin, 0.0) << "the policy did not come to prefer the chosen replies";
  EXPECT_TRUE(std::isfinite(late_loss));
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));
}

TEST_F(PreferenceE2E, ResumedRunRepeatsTheUninterruptedOne) {
  const fs::path whole = dir_->path() / "resume-whole", split = dir_->path() / "resume-split";
  ASSERT_EQ(run_axolotl({"train", config(whole, "max_steps: 6").string()}).exit_code, 0);
  ASSERT_EQ(run_axolotl({"train", config(split, "max_steps: 6\nsave_steps: 3").string()}).exit_code, 0);
  const fs::path resumed = dir_->path() / "resume-from3";
  fs::create_directories(resumed / "checkpoint-3");
  fs::copy(split / "checkpoint-3", resumed / "checkpoint-3", fs::copy_options::recursive);
  const auto r = run_axolotl({"train", config(resumed, "max_steps: 6\nsave_steps: 3\nresume_from_checkpoint: " +
                                                           (resumed / "checkpoint-3").string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(whole), b = train_records(resumed);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    for (const char* k : {"loss", "rewards/margins", "logps/chosen", "logits/rejected"})
      EXPECT_EQ(a[3 + i][k].get<double>(), b[i][k].get<double>()) << "step " << 4 + i << " " << k;
  }
}

// 2 ranks × 2 pairs (Gloo, fp32) give the losses and metrics of 1 process × 4 pairs.
TEST_F(PreferenceE2E, TwoRanksMatchOneProcess) {
  const fs::path one = dir_->path() / "ddp-one", two = dir_->path() / "ddp-two";
  auto r = run_axolotl({"train", config(one, "max_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(two, "max_steps: 4\nmicro_batch_size: 2").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(one), b = train_records(two);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    for (const char* k : {"loss", "rewards/chosen", "rewards/margins", "rewards/accuracies", "logps/rejected",
                          "logits/chosen", "entropy", "mean_token_accuracy"})
      EXPECT_NEAR(a[i][k].get<double>(), b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(a[i][k].get<double>())))
          << "step " << i + 1 << " " << k;
  }
}

TEST_F(PreferenceE2E, IpoTrains) {
  const fs::path out = dir_->path() / "ipo";
  const auto r = run_axolotl({"train", config(out, "rl: ipo\nrl_beta: 0.5\nmax_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_NEAR(recs[0]["loss"].get<double>(), 1.0, 1e-6) << "(0 - 1/(2·0.5))² with a fresh adapter";
}

TEST_F(PreferenceE2E, OrpoTrainsOnArgillaConversations) {
  const fs::path out = dir_->path() / "orpo";
  const std::string ds = "datasets:\n  - path: " + argilla_file().string() + "\n    type: chat_template.argilla\n";
  const auto r = run_axolotl({"train", config(out, "rl: orpo\norpo_alpha: 0.1\nchat_template: chatml\nmax_steps: 6", ds).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 6u);
  for (const char* k : {"nll_loss", "log_odds_ratio", "log_odds_chosen", "rewards/margins", "logps/chosen"})
    EXPECT_TRUE(recs[0].contains(k)) << k;
  // loss = NLL − β·mean(log σ(log-odds)) (TRL ORPOTrainer)
  EXPECT_NEAR(recs[0]["loss"].get<double>(),
              recs[0]["nll_loss"].get<double>() - 0.1 * recs[0]["log_odds_ratio"].get<double>(), 1e-5);
  EXPECT_LT(recs[0]["log_odds_ratio"].get<double>(), 0.0) << "log σ(·) is negative";
}

TEST_F(PreferenceE2E, ConfigErrorsSayWhatIsMissing) {
  const fs::path out = dir_->path() / "errors";
  auto r = run_axolotl({"train", config(out, "adapter: \nlora_r: 8").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("frozen reference"), std::string::npos) << r.err;
  r = run_axolotl({"train", config(out, "rl: kto").string()});
  EXPECT_EQ(r.exit_code, 2);
  r = run_axolotl({"validate", config(out, "rl: ").string()});
  EXPECT_NE(r.exit_code, 0) << "a preference dataset type without rl";
  EXPECT_NE(r.err.find("preference dataset type"), std::string::npos) << r.err;
}

// Axolotl's examples/llama-3/lora-1b-deduplicate-dpo.yml (chat_template.default, llama3 template), from
// the Axolotl mirror named by AXOLOTL_MIRROR or the default path; skipped when absent.
TEST_F(PreferenceE2E, AxolotlDpoExampleTrainsTwoSteps) {
  const char* env = std::getenv("AXOLOTL_MIRROR");
  const std::string mirror = env ? env : "/work/.mirror/axolotl-ai-cloud+axolotl/repo";
  if (!fs::exists(mirror)) GTEST_SKIP() << "no Axolotl mirror at " << mirror;
  const fs::path example = dir_->path() / "example.yml";
  const std::string cmd = "git --git-dir=" + mirror + " show HEAD:examples/llama-3/lora-1b-deduplicate-dpo.yml > " +
                          example.string() + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "example not in the mirror";
  std::string text = testing::read_file(example);
  // Swap base_model and each dataset path; everything else stays as Axolotl ships it.
  std::stringstream in(text);
  std::string yaml;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("base_model:", 0) == 0) line = "base_model: " + model_dir().string();
    else if (line.find("- path:") != std::string::npos) line = line.substr(0, line.find("- path:")) + "- path: " + conversation_file().string();
    else if (line.rfind("output_dir:", 0) == 0) line = "output_dir: " + (dir_->path() / "example-out").string();
    else if (line.rfind("sequence_len:", 0) == 0) line = "sequence_len: 512";  // llama3 markers are many pieces here
    // Not on this branch (another branch adds it); with both datasets the same file it only halves the rows.
    else if (line.rfind("dataset_exact_deduplication:", 0) == 0) continue;
    yaml += line + "\n";
  }
  yaml += "max_steps: 2\n";
  testing::write_file(example, yaml);
  const auto r = run_axolotl({"train", example.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(dir_->path() / "example-out");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[1].contains("rewards/accuracies"));
}

}  // namespace
}  // namespace axolotl::train
