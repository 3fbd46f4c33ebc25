// Helpers shared by the data tests: DatasetConfig from the golden files' JSON description, and
// the shared tokenizers (tests skip when ../shared is absent).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "axolotl/config/config.h"
#include "axolotl/data/tokenizer.h"
#include "test_support.h"

namespace axolotl::testing {

inline config::DatasetConfig dataset_from_json(const nlohmann::json& j) {
  config::DatasetConfig d;
  std::string t = j.at("type");
  d.type_name = t;
  using F = config::DatasetFormat;
  d.format = t == "alpaca" ? F::kAlpaca : t == "alpaca:chat" ? F::kAlpacaChat : t == "alpaca:chatml" ? F::kAlpacaChatml : t == "alpaca:phi" ? F::kAlpacaPhi
           : t == "completion" ? F::kCompletion : t == "input_output" ? F::kInputOutput
           : t == "pretokenized" ? F::kPretokenized : t == "custom" ? F::kCustom
           : t == "bradley_terry.chat_template" ? F::kBradleyTerry
           : t == "stepwise_supervised" ? F::kStepwise : F::kChatTemplate;
  d.field_instruction = j.value("field_instruction", d.field_instruction);
  d.field_input = j.value("field_input", d.field_input);
  d.field_output = j.value("field_output", d.field_output);
  d.field_system = j.value("field_system", d.field_system);
  d.prompt_format = j.value("format", std::string());
  d.no_input_format = j.value("no_input_format", std::string());
  d.system_format = j.value("system_format", d.system_format);
  d.system_prompt = j.value("system_prompt", std::string());
  d.field = j.value("field", std::string());
  d.chat_template = j.value("chat_template", std::string());
  // As the config reader does: a chat dataset without roles_to_train trains the assistant.
  if (j.contains("roles_to_train")) d.roles_to_train = j["roles_to_train"].get<std::vector<std::string>>();
  else if (d.format == F::kChatTemplate) d.roles_to_train = {"assistant"};
  return d;
}

inline std::unique_ptr<data::Tokenizer> shared_tokenizer(const std::string& rel,
                                                         const config::TokenizerConfig& overrides = {}) {
  return data::Tokenizer::load((shared_dir() / rel).string(), overrides);
}

}  // namespace axolotl::testing
