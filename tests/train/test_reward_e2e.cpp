// reward_model: true through the real executable on the tiny model: bradley_terry.chat_template rows
// (system / input / chosen / rejected) train a sequence classifier whose loss falls; TRL's metrics are
// logged for training and evaluation; the output folder is what transformers saves for
// *ForSequenceClassification (score.weight, no lm_head, the classifier config with the pad id pooling
// stops at, no generation config); a resumed run repeats the straight one bitwise; 2 ranks match one
// process; inference and GGUF export refuse the classifier by name. process_reward_model: true on
// stepwise_supervised rows trains a token classifier (score.weight and score.bias, 2 labels) whose loss
// falls, with TRL's eval accuracy; resume bitwise and 2 ranks = 1 process there too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/io/safetensors.h"
#include "axolotl/train/metrics_writer.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_axolotl;

class RewardE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", model_dir().string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The bundled alpaca rows as reward pairs: the right answer is chosen, the next row's rejected.
    std::vector<json> rows;
    std::ifstream in(testing::source_dir() / "examples/tiny/data.jsonl");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) rows.push_back(json::parse(line));
    std::string pairs, few;
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string q = rows[i]["instruction"].get<std::string>() +
                            (rows[i]["input"].get<std::string>().empty() ? "" : "\n" + rows[i]["input"].get<std::string>());
      pairs += json{{"system", i % 3 == 0 ? "Answer briefly." : ""}, {"input", q}, {"chosen", rows[i]["output"]},
                    {"rejected", rows[(i + 1) % rows.size()]["output"]}}.dump() + "\n";
      if (i == 19) few = pairs;
    }
    testing::write_file(pairs_file(), pairs);
    testing::write_file(few_pairs_file(), few);  // 20 pairs: a tiny model learns them within 40 steps
    // Step-labelled rows: the answer's words in two steps, correct (1) when they are this row's answer,
    // wrong (0) when they are the next row's.
    std::string steps;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto halves = [](const std::string& s) {
        const size_t mid = s.find(' ', s.size() / 2);
        return mid == std::string::npos ? std::vector<std::string>{s, "."}
                                        : std::vector<std::string>{s.substr(0, mid), s.substr(mid + 1)};
      };
      const bool right = i % 2 == 0;
      const auto answer = halves(rows[right ? i : (i + 1) % rows.size()]["output"].get<std::string>());
      steps += json{{"prompt", rows[i]["instruction"]}, {"completions", answer}, {"labels", {true, right}}}.dump() + "\n";
    }
    testing::write_file(steps_file(), steps);
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model_dir() { return dir_->path() / "tiny-model"; }
  static fs::path pairs_file() { return dir_->path() / "pairs.jsonl"; }
  static fs::path few_pairs_file() { return dir_->path() / "few_pairs.jsonl"; }
  static fs::path steps_file() { return dir_->path() / "steps.jsonl"; }

  // A process-reward config (stepwise_supervised rows); `extra` ("key: value" lines) adds or replaces keys.
  static fs::path prm_config(const fs::path& out, const std::string& extra, const fs::path& base = model_dir()) {
    std::map<std::string, std::string> keys = {
        {"base_model", base.string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"process_reward_model", "true"},
        {"model_type", "AutoModelForTokenClassification"}, {"num_labels", "2"}, {"sequence_len", "96"},
        {"micro_batch_size", "4"}, {"gradient_accumulation_steps", "2"}, {"learning_rate", "0.001"},
        {"lr_scheduler", "constant"}, {"optimizer", "adamw_torch"}, {"bf16", "false"}, {"seed", "7"},
        {"logging_steps", "1"}, {"threads", "1"}};
    return write_config(out, keys, extra, "  - path: " + steps_file().string() + "\n    type: stepwise_supervised\n"
                        "    step_separator: \"\\n\"\n    max_completion_length:\n");
  }
  // OUT.yml from `keys`, replaced or extended by the "key: value" lines of `extra`, and the datasets entries.
  static fs::path write_config(const fs::path& out, std::map<std::string, std::string> keys, const std::string& extra,
                               const std::string& datasets) {
    std::stringstream lines(extra);
    for (std::string line; std::getline(lines, line);) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) keys[line.substr(0, colon)] = line.substr(colon + 2);
    }
    std::string yaml = "datasets:\n" + datasets;
    for (const auto& [k, v] : keys) yaml += k + ": " + v + "\n";
    const fs::path p = out.string() + ".yml";
    testing::write_file(p, yaml);
    return p;
  }

  // A flat-dialect reward config; `extra` ("key: value" lines) adds or replaces keys.
  static fs::path config(const fs::path& out, const std::string& extra, const fs::path& data = pairs_file()) {
    std::map<std::string, std::string> keys = {
        {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "96"}, {"reward_model", "true"},
        {"model_type", "AutoModelForSequenceClassification"}, {"num_labels", "1"}, {"chat_template", "chatml"},
        {"center_rewards_coefficient", "0.01"}, {"micro_batch_size", "4"}, {"gradient_accumulation_steps", "1"},
        {"learning_rate", "0.001"}, {"lr_scheduler", "constant"}, {"optimizer", "adamw_torch"}, {"bf16", "false"},
        {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "12"}, {"threads", "1"}};
    return write_config(out, keys, extra, "  - path: " + data.string() + "\n    type: bradley_terry.chat_template\n");
  }
  static std::vector<json> records(const fs::path& out, const char* key) {
    std::vector<json> v;
    for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
      if (j.contains(key)) v.push_back(j);
    return v;
  }

  static testing::TempDir* dir_;
};

testing::TempDir* RewardE2E::dir_ = nullptr;

TEST_F(RewardE2E, TrainsAClassifierAndSavesWhatTransformersLoads) {
  const fs::path out = dir_->path() / "train";
  auto r = run_axolotl({"train", config(out, "max_steps: 40\nval_set_size: 0.2\neval_steps: 20", few_pairs_file()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto train = records(out, "loss");
  ASSERT_EQ(train.size(), 40u);
  double first = 0, last = 0;
  for (size_t i = 0; i < 8; ++i) first += train[i]["loss"].get<double>() / 8, last += train[32 + i]["loss"].get<double>() / 8;
  EXPECT_LT(last, 0.6 * first) << "the reward loss falls (from about ln 2)";
  for (const auto& rec : train) {
    for (const char* k : {"accuracy", "margin", "min_reward", "mean_reward", "max_reward"}) ASSERT_TRUE(rec.contains(k)) << k;
    EXPECT_LE(rec["min_reward"].get<double>(), rec["mean_reward"].get<double>());
    EXPECT_LE(rec["mean_reward"].get<double>(), rec["max_reward"].get<double>());
    EXPECT_GE(rec["accuracy"].get<double>(), 0.0);
    EXPECT_LE(rec["accuracy"].get<double>(), 1.0);
  }
  const auto eval = records(out, "eval_loss");
  ASSERT_EQ(eval.size(), 2u);
  for (const char* k : {"eval_accuracy", "eval_margin", "eval_min_reward", "eval_mean_reward", "eval_max_reward"})
    EXPECT_TRUE(eval[0].contains(k)) << k;
  // transformers' save_pretrained of a LlamaForSequenceClassification.
  const auto weights = io::SafetensorsFile::open((out / "model.safetensors").string());
  const io::TensorInfo* score = weights->find("score.weight");
  ASSERT_NE(score, nullptr);
  EXPECT_EQ(score->shape.at(0), 1);
  EXPECT_EQ(weights->find("lm_head.weight"), nullptr);
  const auto cfg = json::parse(testing::read_file(out / "config.json"));
  EXPECT_EQ(cfg["architectures"][0], "LlamaForSequenceClassification");
  EXPECT_EQ(cfg["id2label"], (json{{"0", "LABEL_0"}}));
  ASSERT_TRUE(cfg.contains("pad_token_id")) << "the id the score's pooling stops at";
  EXPECT_FALSE(fs::exists(out / "generation_config.json"));
  EXPECT_NE(testing::read_file(out / "README.md").find("- reward"), std::string::npos);
  // The classifier is not a language model: inference and GGUF export say so.
  r = run_axolotl({"inference", config(dir_->path() / "again", "").string(), "--prompt", "Hi"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("a reward model scores sequences"), std::string::npos) << r.err;
  const fs::path plain = dir_->path() / "on-reward.yml";  // a causal-LM config pointed at the reward model
  testing::write_file(plain, "base_model: " + out.string() + "\noutput_dir: " + (dir_->path() / "none").string() + "\n");
  r = run_axolotl({"inference", plain.string(), "--prompt", "Hi"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("classification (reward) model"), std::string::npos) << r.err;
  r = run_axolotl({"export", plain.string(), "--output", (dir_->path() / "rm.gguf").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no GGUF form"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_->path() / "rm.gguf"));
}

TEST_F(RewardE2E, ResumedRunRepeatsTheStraightOneBitwise) {
  const fs::path straight = dir_->path() / "straight", resumed = dir_->path() / "resumed";
  auto r = run_axolotl({"train", config(straight, "max_steps: 4\nsave_steps: 2").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(resumed);
  fs::copy(straight / "checkpoint-2", resumed / "checkpoint-2", fs::copy_options::recursive);
  r = run_axolotl({"train", config(resumed, "max_steps: 4\nsave_steps: 2\nresume_from_checkpoint: " +
                                            (resumed / "checkpoint-2").string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = records(straight, "loss"), b = records(resumed, "loss");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (const char* k : {"loss", "grad_norm", "accuracy", "margin", "min_reward", "max_reward"})
      EXPECT_EQ(a[2 + i][k].get<double>(), b[i][k].get<double>()) << "step " << 3 + i << " " << k;
  EXPECT_TRUE(testing::read_file(straight / "model.safetensors") == testing::read_file(resumed / "model.safetensors"))
      << "final weights differ";
}

// LoRA on the projections, the score head in full (PEFT's SEQ_CLS modules_to_save), files as PEFT's
// PeftModelForSequenceClassification saves them; resume continues bit for bit; merge refuses by name.
TEST_F(RewardE2E, LoraRewardModelTrainsTheAdapterAndTheScoreHead) {
  const std::string lora = "adapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_target_linear: true\nmax_steps: 4\nsave_steps: 2";
  const fs::path out = dir_->path() / "lora-rm", resumed = dir_->path() / "lora-rm-resumed";
  auto r = run_axolotl({"train", config(out, lora).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ac = json::parse(testing::read_file(out / "adapter_config.json"));
  EXPECT_EQ(ac["task_type"], "SEQ_CLS");
  EXPECT_EQ(ac["modules_to_save"], (json{"classifier", "score"}));
  const auto adapter = io::SafetensorsFile::open((out / "adapter_model.safetensors").string());
  const io::TensorInfo* score = adapter->find("base_model.model.score.weight");
  ASSERT_NE(score, nullptr);
  EXPECT_EQ(score->shape, (std::vector<int64_t>{1, 128}));
  EXPECT_NE(adapter->find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), nullptr);
  EXPECT_FALSE(fs::exists(out / "model.safetensors"));
  const auto losses = records(out, "loss");
  ASSERT_EQ(losses.size(), 4u);
  fs::create_directories(resumed);
  fs::copy(out / "checkpoint-2", resumed / "checkpoint-2", fs::copy_options::recursive);
  r = run_axolotl({"train", config(resumed, lora + "\nresume_from_checkpoint: " + (resumed / "checkpoint-2").string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto again = records(resumed, "loss");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(losses[2]["loss"].get<double>(), again[0]["loss"].get<double>());
  EXPECT_EQ(losses[3]["loss"].get<double>(), again[1]["loss"].get<double>());
  EXPECT_EQ(testing::read_file(out / "adapter_model.safetensors"), testing::read_file(resumed / "adapter_model.safetensors"));
  // merge writes the LlamaForSequenceClassification transformers saves after merge_and_unload: no lm_head,
  // the score head, the classifier config; evaluating it equals evaluating base + adapter.
  const std::string eval = "\nval_set_size: 0.25\nmax_steps: 4";
  r = run_axolotl({"merge", config(dir_->path() / "lora-rm-merge", lora + "\nlora_model_dir: " + out.string()).string(),
                   "--output", (dir_->path() / "rm-merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path merged = dir_->path() / "rm-merged";
  const auto weights = io::SafetensorsFile::open((merged / "model.safetensors").string());
  ASSERT_NE(weights->find("score.weight"), nullptr);
  EXPECT_EQ(weights->find("lm_head.weight"), nullptr);
  const auto mc = json::parse(testing::read_file(merged / "config.json"));
  EXPECT_EQ(mc["architectures"][0], "LlamaForSequenceClassification");
  EXPECT_EQ(mc["id2label"], (json{{"0", "LABEL_0"}}));
  EXPECT_TRUE(mc.contains("pad_token_id"));
  EXPECT_FALSE(fs::exists(merged / "generation_config.json"));
  auto eval_loss = [](const std::string& out) {  // `evaluate` prints "eval_loss: X"
    const size_t at = out.find("eval_loss: ");
    return at == std::string::npos ? -1.0 : std::stod(out.substr(at + 11));
  };
  r = run_axolotl({"evaluate", config(dir_->path() / "ev-adapter", lora + eval + "\nlora_model_dir: " + out.string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double with_adapter = eval_loss(r.out);
  r = run_axolotl({"evaluate", config(dir_->path() / "ev-merged", "base_model: " + merged.string() + eval).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double from_merged = eval_loss(r.out);
  ASSERT_GT(with_adapter, 0.0);
  EXPECT_NEAR(with_adapter, from_merged, 1e-5);
  // A process reward model: TOKEN_CLS, and the token classifier's head keeps its bias.
  const fs::path prm = dir_->path() / "lora-prm";
  r = run_axolotl({"train", prm_config(prm, "adapter: lora\nlora_r: 4\nlora_alpha: 8\nmax_steps: 2").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(testing::read_file(prm / "adapter_config.json"))["task_type"], "TOKEN_CLS");
  const auto prm_adapter = io::SafetensorsFile::open((prm / "adapter_model.safetensors").string());
  EXPECT_NE(prm_adapter->find("base_model.model.score.bias"), nullptr);
  r = run_axolotl({"merge", prm_config(dir_->path() / "lora-prm-merge", "adapter: lora\nlora_r: 4\nlora_alpha: 8\n"
                                       "lora_model_dir: " + prm.string()).string(),
                   "--output", (dir_->path() / "prm-merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(testing::read_file(dir_->path() / "prm-merged/config.json"))["architectures"][0],
            "LlamaForTokenClassification");
  EXPECT_NE(io::SafetensorsFile::open((dir_->path() / "prm-merged/model.safetensors").string())->find("score.bias"),
            nullptr);
}

// 2 ranks × 2 pairs (Gloo, fp32) against 1 process × 4 pairs: min/max over both ranks' rewards.
TEST_F(RewardE2E, TwoRanksMatchOneProcess) {
  const fs::path one = dir_->path() / "ddp-one", two = dir_->path() / "ddp-two";
  auto r = run_axolotl({"train", config(one, "max_steps: 3").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(two, "max_steps: 3\nmicro_batch_size: 2").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = records(one, "loss"), b = records(two, "loss");
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i)
    for (const char* k : {"loss", "grad_norm", "accuracy", "margin", "min_reward", "mean_reward", "max_reward"}) {
      const double x = a[i][k].get<double>();
      EXPECT_NEAR(x, b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(x))) << "step " << i + 1 << " " << k;
    }
}

TEST_F(RewardE2E, ProcessRewardModelTrainsATokenClassifier) {
  const fs::path out = dir_->path() / "prm";
  auto r = run_axolotl({"train", prm_config(out, "max_steps: 30\nval_set_size: 0.25\neval_steps: 15\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto train = records(out, "loss");
  ASSERT_EQ(train.size(), 30u);
  double first = 0, last = 0;
  for (size_t i = 0; i < 5; ++i) first += train[i]["loss"].get<double>() / 5, last += train[25 + i]["loss"].get<double>() / 5;
  EXPECT_LT(last, 0.8 * first) << "the step-classification loss falls";
  EXPECT_FALSE(train[0].contains("accuracy")) << "TRL logs the loss alone in training";
  const auto eval = records(out, "eval_loss");
  ASSERT_EQ(eval.size(), 2u);
  ASSERT_TRUE(eval[1].contains("eval_accuracy"));
  EXPECT_GE(eval[1]["eval_accuracy"].get<double>(), 0.0);
  EXPECT_LE(eval[1]["eval_accuracy"].get<double>(), 1.0);
  // transformers' save_pretrained of a LlamaForTokenClassification.
  const auto weights = io::SafetensorsFile::open((out / "model.safetensors").string());
  const io::TensorInfo* w = weights->find("score.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape.at(0), 2);
  const io::TensorInfo* b = weights->find("score.bias");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(weights->find("lm_head.weight"), nullptr);
  const auto cfg = json::parse(testing::read_file(out / "config.json"));
  EXPECT_EQ(cfg["architectures"][0], "LlamaForTokenClassification");
  EXPECT_EQ(cfg["id2label"].size(), 2u);
  EXPECT_FALSE(fs::exists(out / "generation_config.json"));
  EXPECT_NE(testing::read_file(out / "README.md").find("- prm"), std::string::npos);
  // Its own checkpoint continues as a process reward model, and is refused as a sequence classifier.
  r = run_axolotl({"train", prm_config(dir_->path() / "prm-again", "max_steps: 1\n", out).string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(dir_->path() / "prm-as-rm", "base_model: " + out.string() + "\nmax_steps: 1").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("a different classifier"), std::string::npos) << r.err;
  r = run_axolotl({"inference", prm_config(dir_->path() / "prm-inf", "").string(), "--prompt", "Hi"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("AutoModelForTokenClassification"), std::string::npos) << r.err;
}

TEST_F(RewardE2E, ProcessRewardResumeAndTwoRanks) {
  const fs::path straight = dir_->path() / "prm-straight", resumed = dir_->path() / "prm-resumed";
  auto r = run_axolotl({"train", prm_config(straight, "max_steps: 4\nsave_steps: 2\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(resumed);
  fs::copy(straight / "checkpoint-2", resumed / "checkpoint-2", fs::copy_options::recursive);
  r = run_axolotl({"train", prm_config(resumed, "max_steps: 4\nsave_steps: 2\nresume_from_checkpoint: " +
                                                    (resumed / "checkpoint-2").string() + "\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = records(straight, "loss"), b = records(resumed, "loss");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (const char* k : {"loss", "grad_norm"})
      EXPECT_EQ(a[2 + i][k].get<double>(), b[i][k].get<double>()) << "step " << 3 + i << " " << k;
  EXPECT_TRUE(testing::read_file(straight / "model.safetensors") == testing::read_file(resumed / "model.safetensors"));
  const fs::path two = dir_->path() / "prm-two";  // 2 ranks × 2 rows against 1 process × 4 rows
  r = run_axolotl({"train", prm_config(two, "max_steps: 4\nmicro_batch_size: 2\n").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = records(two, "loss");
  ASSERT_EQ(c.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    for (const char* k : {"loss", "grad_norm"}) {
      const double x = a[i][k].get<double>();
      EXPECT_NEAR(x, c[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(x))) << "step " << i + 1 << " " << k;
    }
}

}  // namespace
}  // namespace axolotl::train
