// Reward-model keys (config/reward_fields.cpp): Axolotl's reward-model example settings read with its
// defaults (num_labels 1, pad_to_sequence_len true), and what a reward run cannot be (LoRA, packing,
// rl, other dataset types, num_labels 2) or what only it reads, each refused naming the key; the same for
// process reward models (num_labels 2, stepwise_supervised and its three dataset keys).
#include <gtest/gtest.h>

#include "axolotl/config/loader.h"
#include "config_problems.h"

namespace axolotl::config {
namespace {

const char* kReward = "base_model: ./m\nsequence_len: 64\nreward_model: true\n"
                      "datasets:\n  - path: pairs.jsonl\n    type: bradley_terry.chat_template\n";

using testing::names;
using testing::problems_of;

std::vector<Diagnostic> problems(const std::string& yaml) { return problems_of(yaml); }

TEST(RewardKeys, ExampleSettingsReadWithAxolotlsDefaults) {
  // examples/qwen3/reward-model.yaml
  auto r = load_string(std::string(kReward) + "model_type: AutoModelForSequenceClassification\nnum_labels: 1\n"
                       "center_rewards_coefficient: 0.01\nchat_template: qwen3\nsample_packing: false\n", "t.yml");
  EXPECT_TRUE(r.config.preference.reward_model);
  EXPECT_EQ(r.config.model.num_labels, 1);
  EXPECT_EQ(r.config.preference.center_rewards_coefficient, 0.01);
  EXPECT_EQ(r.config.data.datasets.at(0).format, DatasetFormat::kBradleyTerry);
  EXPECT_EQ(r.config.data.pad_to_sequence_len, true);  // hint_reward_model_pad
  // set_reward_model_defaults: num_labels 1 when unset; an explicit pad_to_sequence_len: false stays.
  auto bare = load_string(std::string(kReward) + "pad_to_sequence_len: false\n", "t.yml").config;
  EXPECT_EQ(bare.model.num_labels, 1);
  EXPECT_EQ(bare.data.pad_to_sequence_len, false);
  // Without reward_model: a causal LM, no head.
  EXPECT_EQ(load_string("base_model: ./m\ndatasets:\n  - {path: a.jsonl, type: alpaca}\n", "t.yml").config.model.num_labels, 0);
}

TEST(RewardKeys, WhatARewardRunCannotBeIsRefusedByName) {
  EXPECT_NO_THROW(load_string(std::string(kReward) + "adapter: lora\n", "t.yml")) << "LoRA reward models train";
  EXPECT_TRUE(names(problems(std::string(kReward) + "sample_packing: true\n"), "sample_packing"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "rl: dpo\n"), "reward_model: true is its own trainer"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "num_labels: 2\n"), "one logit"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "model_type: AutoModelForTokenClassification\n"),
                    "process_reward_model: true"));
  EXPECT_TRUE(names(problems("base_model: ./m\nreward_model: true\ndatasets:\n  - {path: a.jsonl, type: alpaca}\n"),
                    "needs bradley_terry.chat_template rows"));
}

TEST(RewardKeys, RewardOnlyKeysOutsideARewardRun) {
  const std::string sft = "base_model: ./m\ndatasets:\n  - {path: a.jsonl, type: alpaca}\n";
  EXPECT_TRUE(names(problems(sft + "num_labels: 1\n"), "num_labels"));
  EXPECT_TRUE(names(problems(sft + "model_type: AutoModelForSequenceClassification\n"), "outside reward modelling"));
  EXPECT_TRUE(names(problems("base_model: ./m\ndatasets:\n  - {path: p.jsonl, type: bradley_terry.chat_template}\n"),
                    "reward_model: true"));
  EXPECT_TRUE(names(problems(sft + "process_reward_model: true\n"), "needs stepwise_supervised rows"));
  EXPECT_TRUE(names(problems("base_model: ./m\ndatasets:\n  - {path: p.jsonl, type: stepwise_supervised}\n"),
                    "process_reward_model: true"));
  const auto r = load_string(sft + "center_rewards_coefficient: 0.01\n", "t.yml");  // noted, as Axolotl ignores it
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.key == "center_rewards_coefficient";
  EXPECT_TRUE(noted);
}

const char* kPrmHead = "base_model: ./m\nsequence_len: 64\nprocess_reward_model: true\n";
const std::string kPrm = std::string(kPrmHead) + "datasets:\n  - path: steps.jsonl\n    type: stepwise_supervised\n";

TEST(ProcessRewardKeys, ExampleSettingsReadWithAxolotlsDefaults) {
  // examples/qwen2/prm.yaml: an empty max_completion_length is unset
  auto r = load_string(std::string(kPrmHead) + "model_type: AutoModelForTokenClassification\nnum_labels: 2\n"
                       "datasets:\n  - path: steps.jsonl\n    type: stepwise_supervised\n    step_separator: \"\\n\"\n"
                       "    max_completion_length:\n    train_on_last_step_only: false\n", "t.yml");
  EXPECT_TRUE(r.config.preference.process_reward_model);
  EXPECT_EQ(r.config.model.num_labels, 2);
  EXPECT_TRUE(r.config.model.token_classification);
  const auto& d = r.config.data.datasets.at(0);
  EXPECT_EQ(d.format, DatasetFormat::kStepwise);
  EXPECT_EQ(d.step_separator, "\n");
  EXPECT_FALSE(d.max_completion_length);
  EXPECT_FALSE(d.train_on_last_step_only);
  EXPECT_EQ(r.config.data.pad_to_sequence_len, false);  // hint_reward_model_pad is for reward_model only
  // set_reward_model_defaults: num_labels 2 when unset.
  const auto bare = load_string(std::string(kPrmHead) + "datasets:\n  - path: s.jsonl\n    type: stepwise_supervised\n"
                                "    max_completion_length: 128\n    train_on_last_step_only: true\n    "
                                "step_separator: \" ки\"\n", "t.yml").config;
  EXPECT_EQ(bare.model.num_labels, 2);
  EXPECT_EQ(bare.data.datasets.at(0).max_completion_length, 128);
  EXPECT_TRUE(bare.data.datasets.at(0).train_on_last_step_only);
  EXPECT_EQ(bare.data.datasets.at(0).step_separator, " ки");
}

TEST(ProcessRewardKeys, WhatAProcessRewardRunCannotBeIsRefusedByName) {
  EXPECT_NO_THROW(load_string(kPrm + "adapter: lora\n", "t.yml")) << "LoRA process reward models train";
  EXPECT_TRUE(names(problems(kPrm + "sample_packing: true\n"), "sample_packing"));
  EXPECT_TRUE(names(problems(kPrm + "rl: dpo\n"), "its own trainer"));
  EXPECT_TRUE(names(problems(kPrm + "num_labels: 1\n"), "labels 0 and 1"));
  EXPECT_TRUE(names(problems(kPrm + "reward_model: true\n"), "two different trainers"));
  EXPECT_TRUE(names(problems(kPrm + "model_type: AutoModelForSequenceClassification\n"),
                    "reward_model: true"));
  EXPECT_TRUE(names(problems(kPrm + "metric_for_best_model: margin\n"), "margin"));
  EXPECT_TRUE(names(problems("base_model: ./m\nprocess_reward_model: true\ndatasets:\n"
                             "  - {path: p.jsonl, type: bradley_terry.chat_template}\n"), "needs stepwise_supervised"));
  EXPECT_TRUE(names(problems(std::string(kPrmHead) + "datasets:\n  - {path: s.jsonl, type: stepwise_supervised, "
                             "max_completion_length: 0}\n"), "max_completion_length"));
}

}  // namespace
}  // namespace axolotl::config
