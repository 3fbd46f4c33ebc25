// TRL's conversational preference rows, which Axolotl's passthrough strategy hands on as they are:
// prompt / chosen / rejected as message lists ({"role", "content", ...}), or chosen and rejected alone
// as whole conversations whose common first turns are the prompt (TRL 1.8 trl/data_utils.py
// is_conversational, extract_prompt, apply_chat_template). TRL tokenizes them in two ways:
// - DPOTrainer (dpo, ipo): token ids, prompt_ids = tok(template(prompt, add_generation_prompt)),
//   chosen_ids = tok(template(prompt + chosen))[len(prompt_ids):], no special tokens added and no EOS
//   appended (trl/trainer/dpo_trainer.py tokenize_fn);
// - ORPO and CPO (orpo, simpo): strings first (maybe_apply_chat_template: the prompt cut to its common
//   prefix with each whole conversation, a last assistant turn continued rather than closed), then
//   their usual string tokenization (preference_rows.h tokenize_legacy).
// Row-level `tools` (a list or its JSON text) and `chat_template_kwargs` reach the template as in TRL.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "axolotl/data/chat_template.h"
#include "axolotl/data/preference_rows.h"
#include "axolotl/data/preference_strategy.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

// TRL's is_conversational for preference rows: prompt, chosen or rejected is a list whose first item
// is an object with "role" and "content".
bool is_conversational_preference(const nlohmann::ordered_json& row);

// The row's three message lists; without `prompt`, TRL's extract_prompt splits chosen and rejected
// where they first differ. Error naming the field when one is missing or not a message list.
struct Conversation {
  nlohmann::ordered_json prompt, chosen, rejected;  // arrays of message objects
  nlohmann::ordered_json tools;                     // null when the row has none
  nlohmann::ordered_json template_kwargs;           // the row's chat_template_kwargs object, or null
};
Conversation conversation_of(const nlohmann::ordered_json& row);

// DPOTrainer's token ids; nullopt when the prompt alone has max_length tokens or more (TRL drops it).
std::optional<PreferencePair> tokenize_conversation(const Tokenizer& tokenizer, const Conversation& c,
                                                    const ChatTemplate& chat_template, const ChatVars& vars,
                                                    int max_length);

// maybe_apply_chat_template's strings (ORPO, CPO). Error when the prompt's last turn is neither user,
// tool nor assistant, or a continued assistant turn is not found in the rendering (as transformers raises).
PreferenceText render_conversation(const Conversation& c, const ChatTemplate& chat_template, const ChatVars& vars);

}  // namespace axolotl::data
