// Reward modelling: the Bradley-Terry loss and TRL's reward metrics over three full fine-tuning AdamW
// steps (every weight, the score head included) equal tests/reference/reward_reference.py on tiny Qwen2
// (pad = EOS: a sequence ending in EOS is scored one token earlier, as transformers pools) and Gemma-2
// (its final logit soft-cap must not reach the score) classifiers; a base causal-LM checkpoint becomes a
// classifier with a fresh score head; config.json round-trips the classifier; min/max metrics combine
// over ranks. Process reward models: token-classification loss and eval accuracy over three AdamW steps
// equal the same reference on tiny Qwen2 and Gemma-2 token classifiers (score.weight and score.bias).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "axolotl/model/llama_config.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/train/metric_table.h"
#include "axolotl/train/objective_prm.h"
#include "axolotl/train/objective_reward.h"
#include "axolotl/train/optimizer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

namespace fs = std::filesystem;

// The reference's output folder, written once per test binary (empty when python3 with torch is absent).
const fs::path& goldens() {
  static testing::TempDir dir;
  static const bool ok = [] {
    if (testing::python().empty()) return false;
    const std::string cmd = testing::python() + " " + (testing::source_dir() / "tests/reference/reward_reference.py").string() +
                            " " + dir.path().string() + " > " + (dir / "log.txt").string() + " 2>&1";
    const bool done = std::system(cmd.c_str()) == 0;
    if (!done) std::cerr << testing::read_file(dir / "log.txt");
    return done;
  }();
  static const fs::path none;
  return ok ? dir.path() : none;
}

#define REQUIRE_REWARD_GOLDENS() \
  if (goldens().empty()) GTEST_SKIP() << "no python3 with torch for reward_reference.py"

model::LlamaForCausalLM load(const fs::path& folder, int64_t num_labels) {
  auto config = model::load_llama_config(folder.string());
  if (num_labels > 0) config.num_labels = num_labels;
  model::LlamaForCausalLM m(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*m, folder.string());
  return m;
}

// A JSON matrix of ids as a (rows, T) int64 tensor.
torch::Tensor matrix(const nlohmann::json& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<int64_t>());
  return torch::tensor(flat).reshape({static_cast<int64_t>(rows.size()), -1});
}

// The golden rows as the loop hands them over: right-padded, segment 1 on the `lengths` real tokens,
// positions 0.. per row; labels the ids on real tokens (reward pairs) unless given.
BatchTensors golden_batch(const nlohmann::json& g) {
  BatchTensors b;
  b.input_ids = matrix(g["input_ids"]);
  const int64_t n = b.input_ids.size(0), t = b.input_ids.size(1);
  b.segment_ids = torch::zeros_like(b.input_ids);
  for (int64_t i = 0; i < n; ++i) b.segment_ids[i].narrow(0, 0, g["lengths"][static_cast<size_t>(i)].get<int64_t>()).fill_(1);
  b.labels = g.contains("labels") ? matrix(g["labels"])
                                  : torch::where(b.segment_ids.ne(0), b.input_ids, torch::full_like(b.input_ids, -100));
  b.position_ids = torch::arange(t).unsqueeze(0).expand_as(b.input_ids).contiguous();
  return b;
}

class RewardReference : public ::testing::TestWithParam<std::string> {};

TEST_P(RewardReference, FullFineTuningStepsMatch) {
  REQUIRE_REWARD_GOLDENS();
  const fs::path folder = goldens() / (GetParam() + "_rm");
  const auto g = nlohmann::json::parse(testing::read_file(folder / "golden.json"));
  auto m = load(folder, 0);  // the classifier's own config.json: num_labels 1, score.weight in the file
  ASSERT_TRUE(m->is_classifier());
  ASSERT_EQ(m->config().pad_token_id.value_or(-1), g["pad"].get<int64_t>());
  NamedParams trainable;
  for (const auto& item : m->named_parameters()) trainable.emplace_back(item.key(), item.value());
  config::TrainingConfig tc;
  tc.learning_rate = g["learning_rate"].get<double>();
  tc.weight_decay = 0.0;
  Optimizer opt(tc, trainable);
  RewardObjective objective(*m, {g["pad"].get<int32_t>(), g["center_rewards_coefficient"].get<double>()}, false);
  const BatchTensors b = golden_batch(g);
  const double pairs = static_cast<double>(b.input_ids.size(0) / 2);
  for (size_t i = 0; i < g["steps"].size(); ++i) {
    const auto& want = g["steps"][i];
    opt.zero_grad();
    MicroLoss ml = objective.micro_loss(b, pairs);
    ml.loss.backward();
    opt.step();
    EXPECT_NEAR(ml.loss.item<double>(), want["loss"].get<double>(), 2e-5) << GetParam() << " step " << i + 1;
    ASSERT_EQ(ml.metrics.size(), want["metrics"].size());
    for (const auto& metric : ml.metrics) {
      ASSERT_TRUE(want["metrics"].contains(metric.name)) << metric.name;
      EXPECT_NEAR(metric.sum / metric.weight, want["metrics"][metric.name].get<double>(), 2e-5)
          << GetParam() << " step " << i + 1 << " " << metric.name;
    }
  }
}

// Negative control: pooled at the last real token instead (segment ids, not pad ids), the first Qwen2
// pair (both ending in EOS = pad) scores differently.
TEST(RewardObjective, PoolingStopsAtThePadIdNotAtThePadding) {
  REQUIRE_REWARD_GOLDENS();
  const fs::path folder = goldens() / "qwen2_rm";
  const auto g = nlohmann::json::parse(testing::read_file(folder / "golden.json"));
  auto m = load(folder, 0);
  torch::NoGradGuard no_grad;
  const BatchTensors b = golden_batch(g);
  BatchTensors padded_63 = b;  // the same rows padded with 63, which no row holds: each pooled at its last token
  padded_63.input_ids = torch::where(b.segment_ids.ne(0), b.input_ids, torch::full_like(b.input_ids, 63));
  RewardObjective as_hf(*m, {g["pad"].get<int32_t>(), std::nullopt}, false);
  RewardObjective other_pad(*m, {63, std::nullopt}, false);
  const auto a = as_hf.rewards(b), c = other_pad.rewards(padded_63);
  EXPECT_GT(std::abs(a[0].item<double>() - c[0].item<double>()), 1e-4);  // ends in EOS: moved one back
  EXPECT_NEAR(a[1].item<double>(), c[1].item<double>(), 1e-6);           // no EOS: the same position
}

TEST(RewardObjective, EqualRewardsGiveLn2PerPair) {
  REQUIRE_REWARD_GOLDENS();
  auto m = load(goldens() / "gemma2_rm", 0);
  torch::NoGradGuard no_grad;
  m->score->weight.zero_();  // every reward 0: −log σ(0) = ln 2, and no centring term
  const BatchTensors b = golden_batch(nlohmann::json::parse(testing::read_file(goldens() / "gemma2_rm/golden.json")));
  RewardObjective objective(*m, {0, 0.5}, false);
  EXPECT_NEAR(objective.micro_loss(b, 3.0).loss.item<double>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(objective.eval_sum(b).item<double>(), 3.0 * std::log(2.0), 1e-5);  // Σ over the 3 pairs
}

TEST(RewardObjective, RefusesACausalLm) {
  REQUIRE_REWARD_GOLDENS();
  auto m = load(goldens() / "qwen3_base", 0);
  EXPECT_FALSE(m->is_classifier());
  EXPECT_THROW(RewardObjective(*m, {}, false), Error);
}

// AutoModelForSequenceClassification on a base checkpoint: a new N(0, initializer_range) score head,
// lm_head.weight left unused, no language-model head to call.
TEST(RewardObjective, BaseCheckpointBecomesAClassifier) {
  REQUIRE_REWARD_GOLDENS();
  auto m = load(goldens() / "qwen3_base", 1);
  ASSERT_TRUE(m->is_classifier());
  EXPECT_FALSE(m->lm_head);
  ASSERT_TRUE(m->score);
  EXPECT_EQ(m->score->weight.sizes(), (std::vector<int64_t>{1, m->config().hidden_size}));
  const double std = m->score->weight.std().item<double>();
  EXPECT_GT(std, 0.01);
  EXPECT_LT(std, 0.04);
  EXPECT_THROW(m->logits(torch::zeros({1, 1, m->config().hidden_size})), Error);
  for (const auto& item : m->named_parameters()) EXPECT_EQ(item.key().find("lm_head"), std::string::npos);
}

TEST(RewardConfig, ClassifierConfigRoundTrips) {
  model::LlamaConfig c = model::parse_llama_config(
      nlohmann::json{{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"}, {"hidden_size", 32},
                     {"intermediate_size", 64}, {"num_hidden_layers", 1}, {"num_attention_heads", 4},
                     {"num_key_value_heads", 2}, {"vocab_size", 64}},
      "config.json");
  c.num_labels = 1;
  c.pad_token_id = 2;
  const auto j = nlohmann::json::parse(model::llama_config_json(c));
  EXPECT_EQ(j["architectures"][0], "Qwen2ForSequenceClassification");
  EXPECT_EQ(j["id2label"], (nlohmann::json{{"0", "LABEL_0"}}));
  EXPECT_EQ(j["label2id"], (nlohmann::json{{"LABEL_0", 0}}));
  EXPECT_EQ(j["pad_token_id"], 2);
  const model::LlamaConfig back = model::parse_llama_config(j, "config.json");
  EXPECT_EQ(back.architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(back.num_labels, 1);
  // transformers' default when neither id2label nor num_labels is given: 2 labels.
  nlohmann::json bare = j;
  bare.erase("id2label");
  bare.erase("label2id");
  EXPECT_EQ(model::parse_llama_config(bare, "config.json").num_labels, 2);
  bare["architectures"] = {"Gemma3TextForSequenceClassification"};
  bare["model_type"] = "gemma3_text";
  EXPECT_EQ(model::parse_llama_config(bare, "config.json").architecture, "Gemma3ForCausalLM");
}

// Two ranks' tables summed as the all-reduce sums them: min/max over both ranks, means by weight.
TEST(MetricTable, MinAndMaxCombineOverRanks) {
  const std::vector<std::string> names = {"min_reward", "mean_reward", "max_reward"};
  const std::vector<MetricReduce> reduces = {MetricReduce::kMin, MetricReduce::kMean, MetricReduce::kMax};
  MetricTable r0(names, reduces, 2, 0), r1(names, reduces, 2, 1);
  for (auto* t : {&r0, &r1}) t->add_batch();
  r0.add(0, {{"min_reward", -1.0, 1.0}, {"mean_reward", 2.0, 4.0}, {"max_reward", 3.0, 1.0}});
  r1.add(0, {{"min_reward", -2.5, 1.0}, {"mean_reward", 6.0, 4.0}, {"max_reward", 1.0, 1.0}});
  std::vector<double> sum = r0.numbers();
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += r1.numbers()[i];
  r0.numbers() = sum;
  const auto values = r0.values();
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0], (std::pair<std::string, double>{"min_reward", -2.5}));
  EXPECT_EQ(values[1], (std::pair<std::string, double>{"mean_reward", 1.0}));
  EXPECT_EQ(values[2], (std::pair<std::string, double>{"max_reward", 3.0}));
  // A rank with nothing to report (an empty share) leaves its slot out of the min.
  MetricTable lone(names, reduces, 2, 1);
  lone.add_batch();
  lone.add(0, {{"min_reward", 4.0, 1.0}});
  EXPECT_EQ(lone.means({"min_reward"}).at(0).second, 4.0);
}

INSTANTIATE_TEST_SUITE_P(Families, RewardReference, ::testing::Values("qwen2", "gemma2"));

class ProcessRewardReference : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessRewardReference, FullFineTuningStepsMatch) {
  REQUIRE_REWARD_GOLDENS();
  const fs::path folder = goldens() / (GetParam() + "_prm");
  const auto g = nlohmann::json::parse(testing::read_file(folder / "golden.json"));
  auto m = load(folder, 0);  // *ForTokenClassification: 2 labels, score.weight and score.bias in the file
  ASSERT_TRUE(m->is_classifier());
  ASSERT_TRUE(m->config().token_classifier);
  ASSERT_TRUE(m->score->bias.defined());
  NamedParams trainable;
  for (const auto& item : m->named_parameters()) trainable.emplace_back(item.key(), item.value());
  config::TrainingConfig tc;
  tc.learning_rate = g["learning_rate"].get<double>();
  tc.weight_decay = 0.0;
  Optimizer opt(tc, trainable);
  ProcessRewardObjective objective(*m, false);
  const BatchTensors b = golden_batch(g);
  const double labelled = b.labels.ne(-100).sum().item<double>();
  for (size_t i = 0; i < g["steps"].size(); ++i) {
    const auto& want = g["steps"][i];
    m->eval();  // evaluation: the accuracy metric, no grad
    MicroLoss ev;
    {
      torch::NoGradGuard no_grad;
      ev = objective.micro_loss(b, 1.0);
    }
    ASSERT_EQ(ev.metrics.size(), 1u);
    EXPECT_EQ(ev.metrics[0].name, "accuracy");
    EXPECT_NEAR(ev.metrics[0].sum / ev.metrics[0].weight, want["accuracy"].get<double>(), 1e-12) << "step " << i + 1;
    EXPECT_NEAR(ev.loss.item<double>() / labelled, want["loss"].get<double>(), 2e-5);
    m->train();
    opt.zero_grad();
    MicroLoss ml = objective.micro_loss(b, labelled);
    EXPECT_TRUE(ml.metrics.empty());  // TRL logs the loss alone in training
    ml.loss.backward();
    opt.step();
    EXPECT_NEAR(ml.loss.item<double>(), want["loss"].get<double>(), 2e-5) << GetParam() << " step " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ProcessRewardReference, ::testing::Values("qwen2", "gemma2"));

// Negative control: the labels read one position later (a causal LM's shift) give another loss.
TEST(ProcessRewardObjective, LabelsAreNotShifted) {
  REQUIRE_REWARD_GOLDENS();
  const fs::path folder = goldens() / "qwen2_prm";
  const auto g = nlohmann::json::parse(testing::read_file(folder / "golden.json"));
  auto m = load(folder, 0);
  torch::NoGradGuard no_grad;
  ProcessRewardObjective objective(*m, false);
  BatchTensors b = golden_batch(g);
  const double labelled = b.labels.ne(-100).sum().item<double>();
  const double loss = objective.micro_loss(b, labelled).loss.item<double>();
  EXPECT_NEAR(loss, g["steps"][0]["loss"].get<double>(), 2e-5);
  BatchTensors shifted = b;
  shifted.labels = torch::full_like(b.labels, -100);
  shifted.labels.narrow(1, 1, b.labels.size(1) - 1).copy_(b.labels.narrow(1, 0, b.labels.size(1) - 1));
  EXPECT_GT(std::abs(objective.micro_loss(shifted, labelled).loss.item<double>() - loss), 1e-3);
  BatchTensors bad = b;
  bad.labels[0][2] = 2;  // class 2 of a 2-label head
  EXPECT_THROW(objective.micro_loss(bad, labelled), Error);
}

TEST(ProcessRewardObjective, RefusesOtherHeads) {
  REQUIRE_REWARD_GOLDENS();
  auto lm = load(goldens() / "qwen3_base", 0);
  EXPECT_THROW(ProcessRewardObjective(*lm, false), Error);
  auto sequence = load(goldens() / "qwen2_rm", 0);
  EXPECT_THROW(ProcessRewardObjective(*sequence, false), Error);
}

// AutoModelForTokenClassification on a base checkpoint: score.weight N(0, initializer_range), bias 0.
TEST(ProcessRewardObjective, BaseCheckpointBecomesATokenClassifier) {
  REQUIRE_REWARD_GOLDENS();
  auto config = model::load_llama_config((goldens() / "qwen3_base").string());
  config.num_labels = 2;
  config.token_classifier = true;
  model::LlamaForCausalLM m(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*m, (goldens() / "qwen3_base").string());
  ASSERT_TRUE(m->score);
  EXPECT_EQ(m->score->weight.sizes(), (std::vector<int64_t>{2, config.hidden_size}));
  EXPECT_EQ(m->score->bias.abs().sum().item<double>(), 0.0);
  EXPECT_GT(m->score->weight.std().item<double>(), 0.005);
  const auto j = nlohmann::json::parse(model::llama_config_json(m->config()));
  EXPECT_EQ(j["architectures"][0], "Qwen3ForTokenClassification");
  EXPECT_EQ(j["id2label"].size(), 2u);
  const model::LlamaConfig back = model::parse_llama_config(j, "config.json");
  EXPECT_TRUE(back.token_classifier);
  EXPECT_EQ(back.num_labels, 2);
  EXPECT_EQ(back.architecture, "Qwen3ForCausalLM");
}

// kPooled: Σ sum / Σ weight over the batches (TRL's accuracy over the whole eval set), not the mean of
// the batches' values.
TEST(MetricTable, PooledMetricsWeighTheirBatches) {
  MetricTable t({"accuracy"}, {MetricReduce::kPooled});
  t.add_batch();
  t.add_batch();
  t.add(0, {{"accuracy", 1.0, 1.0}});  // 1 of 1
  t.add(1, {{"accuracy", 1.0, 3.0}});  // 1 of 3
  ASSERT_EQ(t.means().size(), 1u);
  EXPECT_DOUBLE_EQ(t.means()[0].second, 0.5);  // 2 of 4 (the batch mean would be 0.667)
}

}  // namespace
}  // namespace axolotl::train
