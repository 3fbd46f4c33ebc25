// Reward-model keys (config/reward_fields.cpp): Axolotl's reward-model example settings read with its
// defaults (num_labels 1, pad_to_sequence_len true), and what a reward run cannot be (LoRA, packing,
// rl, other dataset types, num_labels 2) or what only it reads, each refused naming the key.
#include <gtest/gtest.h>

#include "axolotl/config/loader.h"

namespace axolotl::config {
namespace {

const char* kReward = "base_model: ./m\nsequence_len: 64\nreward_model: true\n"
                      "datasets:\n  - path: pairs.jsonl\n    type: bradley_terry.chat_template\n";

std::vector<Diagnostic> problems(const std::string& yaml) {
  try {
    load_string(yaml, "t.yml");
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "loaded without error:\n" << yaml;
  return {};
}

bool names(const std::vector<Diagnostic>& p, const std::string& text) {
  for (const auto& d : p)
    if ((d.key + " " + d.message + " " + d.found + " " + d.hint).find(text) != std::string::npos) return true;
  return false;
}

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
  EXPECT_TRUE(names(problems(std::string(kReward) + "adapter: lora\n"), "LoRA reward models"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "sample_packing: true\n"), "sample_packing"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "rl: dpo\n"), "reward_model: true is its own trainer"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "num_labels: 2\n"), "one logit"));
  EXPECT_TRUE(names(problems(std::string(kReward) + "model_type: AutoModelForTokenClassification\n"),
                    "process reward models"));
  EXPECT_TRUE(names(problems("base_model: ./m\nreward_model: true\ndatasets:\n  - {path: a.jsonl, type: alpaca}\n"),
                    "needs chosen/rejected pairs"));
}

TEST(RewardKeys, RewardOnlyKeysOutsideARewardRun) {
  const std::string sft = "base_model: ./m\ndatasets:\n  - {path: a.jsonl, type: alpaca}\n";
  EXPECT_TRUE(names(problems(sft + "num_labels: 1\n"), "num_labels"));
  EXPECT_TRUE(names(problems(sft + "model_type: AutoModelForSequenceClassification\n"), "outside reward modelling"));
  EXPECT_TRUE(names(problems("base_model: ./m\ndatasets:\n  - {path: p.jsonl, type: bradley_terry.chat_template}\n"),
                    "reward_model: true"));
  EXPECT_TRUE(names(problems(sft + "process_reward_model: true\n"), "process reward models"));
  const auto r = load_string(sft + "center_rewards_coefficient: 0.01\n", "t.yml");  // noted, as Axolotl ignores it
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.key == "center_rewards_coefficient";
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace axolotl::config
