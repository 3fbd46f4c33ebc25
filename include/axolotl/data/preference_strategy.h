// Axolotl's DPO dataset strategies as string renderers (prompt_strategies/dpo/{chatml,llama3,user_defined}.py;
// FORMATS2.md §4.2): a JSON row -> {prompt, chosen, rejected} strings that TRL then tokenizes.
// Covered: chatml.* and llama3.* {default, intel, icr, prompt_pairs, argilla_chat, ultra},
// user_defined.default, zephyr.nectar, passthrough (string rows; message lists: conversational_preference.h),
// and chat_template.default / chat_template.argilla_chat (dpo/chat_template.py) through a chat template
// (chat_template.h).
// ORPO's chat_template.argilla (prompt_strategies/orpo/chat_template.py) is render_orpo_argilla.
// KTO's unpaired forms: kto_strategy.h.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "axolotl/data/chat_template.h"

namespace axolotl::data {

struct PreferenceText {
  std::string prompt;
  std::string chosen;
  std::string rejected;
};

// user_defined.default's fields (Axolotl's defaults).
struct UserDefinedPreference {
  std::string field_prompt = "prompt";
  std::string field_system = "system";
  std::string field_chosen = "chosen";
  std::string field_rejected = "rejected";
  std::string prompt_format = "{prompt}";
  std::string chosen_format = "{chosen}";
  std::string rejected_format = "{rejected}";
};

// chat_template.default's settings (Axolotl's defaults; `roles` empty = user/assistant/system/tool as is).
struct ChatPreference {
  const ChatTemplate* chat_template = nullptr;  // not owned; must be set
  ChatVars vars;                                // bos/eos spellings etc. for the template
  std::string field_messages = "messages";
  std::string field_chosen = "chosen";
  std::string field_rejected = "rejected";
  std::map<std::string, std::string> property_mappings;    // role / content -> the turn's keys
  std::map<std::string, std::vector<std::string>> roles;   // our role -> spellings in the data
};

// prompt = the messages with the generation prompt; chosen/rejected = [dummy user, reply] rendered,
// cut from the first occurrence of the reply's content, rstrip()ped.
PreferenceText render_chat_preference(const nlohmann::json& row, const ChatPreference& settings);

// chat_template.argilla_chat: chosen / rejected are whole conversations; the prompt = every turn of
// chosen but the last, with the generation prompt; each reply = its list's last turn, cut as above.
PreferenceText render_argilla_chat_preference(const nlohmann::json& row, const ChatPreference& settings);

// ORPO's chat_template.argilla: the prompt = [system], the user turns of `chosen` (or `prompt` for each)
// with the assistant turns between them, and the generation prompt; chosen / rejected = the whole
// conversation with the last reply, minus the prompt's length in characters (code points).
PreferenceText render_orpo_argilla(const nlohmann::json& row, const ChatPreference& settings);

// True for the types above ("chatml" alone means chatml.default, as Axolotl's loader resolves it).
bool is_preference_type(const std::string& type);

// Renders one row. Error (key "type", found = the missing field) when the row lacks a field it needs,
// or for an unknown type (with a hint for the renamed chatml.argilla / llama3.argilla).
PreferenceText render_preference(const std::string& type, const nlohmann::json& row,
                                 const UserDefinedPreference& user = {});

}  // namespace axolotl::data
