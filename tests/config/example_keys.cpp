// Implementation of example_keys.h.
#include "example_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "test_support.h"

namespace axolotl::testing {

std::vector<KeyLine> read_keys() {
  std::ifstream in(source_dir() / "tests/assets/config/axolotl_example_keys.tsv");
  std::vector<KeyLine> out;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(text);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 4) {
      ADD_FAILURE() << "line " << n << ": expected 4 tab-separated columns: " << text;
      continue;
    }
    out.push_back({cols[0], cols[1], cols[2], cols[3], n});
  }
  return out;
}

std::string config_with(const KeyLine& k) {
  std::vector<std::pair<std::string, std::string>> keys = {
      {"base_model", "./tiny-model"}, {"sequence_len", "64"}, {"micro_batch_size", "2"}, {"adapter", "lora"},
      {"datasets", "[{path: data.jsonl, type: alpaca}]"}};
  if (k.level == "top") {
    bool replaced = false;
    for (auto& [name, value] : keys) {
      if (name == k.key) {
        value = k.value;
        replaced = true;
      }
    }
    if (!replaced) keys.emplace_back(k.key, k.value);
    if (k.key == "pretraining_dataset") keys.emplace_back("max_steps", "10");  // required with it, as in Axolotl
    if (k.key.rfind("relora", 0) == 0) {  // ReLoRA restarts every jagged_restart_steps (required, as in Axolotl)
      if (k.key != "relora") keys.emplace_back("relora", "true");
      keys.emplace_back("jagged_restart_steps", "150");
    }
    if (k.key == "reward_model" || k.key == "num_labels" || k.key == "center_rewards_coefficient") {
      keys[3] = {"adapter", "null"};  // a reward model's own keys: full fine-tuning on reward pairs
      keys[4].second = "[{path: data.jsonl, type: bradley_terry.chat_template}]";
      if (k.key != "reward_model") keys.emplace_back("reward_model", "true");
    }
    if (k.key == "process_reward_model") {  // token classification on stepwise_supervised rows, in full
      keys[3] = {"adapter", "null"};
      keys[4].second = "[{path: data.jsonl, type: stepwise_supervised}]";
    }
  } else {
    const auto bar = k.value.find('|');
    const std::string type = k.value.substr(0, bar), value = k.value.substr(bar + 1);
    std::string entry = "{path: " + (k.key == "path" ? value : std::string("data.jsonl"));
    if (k.key == "type") entry += ", type: " + value;
    else if (type != "-") entry += ", type: " + type;
    if (k.key != "path" && k.key != "type") entry += ", " + k.key + ": " + value;
    keys[4].second = "[" + entry + "}]";
    if (type == "chat_template.default") keys.emplace_back("rl", "dpo");  // a preference type: DPO's keys
    if (type == "stepwise_supervised") {  // a process reward model's rows
      keys[3] = {"adapter", "null"};
      keys.emplace_back("process_reward_model", "true");
    }
  }
  std::string yaml;
  for (const auto& [name, value] : keys) yaml += name + ": " + value + "\n";
  return yaml;
}

}  // namespace axolotl::testing
