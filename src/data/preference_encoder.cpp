// The row encoder's preference rows (rl datasets): DPO-family pairs from strings (preference_strategy.h)
// or TRL's conversational rows (conversational_preference.h), and KTO's unpaired rows (kto_strategy.h),
// with Axolotl's excess_length_strategy before TRL's tokenization (preference_rows.h). Sources: Axolotl
// utils/data/rl.py (_drop_long_sequences, _truncate_long_sequences_rl), prompt_strategies/dpo and kto.
#include <algorithm>
#include <string>

#include "axolotl/data/conversational_preference.h"
#include "axolotl/data/kto_strategy.h"
#include "axolotl/data/preference_rows.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "row_error.h"

namespace axolotl::data {
namespace {

// One setting of user_defined.default's `type:` map, when given (else Axolotl's default stays in `to`).
template <typename Map>
void take_setting(const Map& m, const char* key, std::string& to) {
  if (auto it = m.find(key); it != m.end() && !it->second.empty()) to = it->second;
}

// user_defined.default's settings from the dataset's `type:` map (Axolotl's defaults for keys not given).
UserDefinedPreference user_defined_preference(const config::DatasetConfig& ds) {
  const auto& m = ds.user_defined;
  UserDefinedPreference u;
  if (!ds.field_system.empty()) u.field_system = ds.field_system;
  auto take = [&](const char* k, std::string& to) { take_setting(m, k, to); };
  take("field_prompt", u.field_prompt);
  take("field_chosen", u.field_chosen);
  take("field_rejected", u.field_rejected);
  take("prompt_format", u.prompt_format);
  take("chosen_format", u.chosen_format);
  take("rejected_format", u.rejected_format);
  return u;
}

// Axolotl's excess_length_strategy: truncate for rl rows (utils/data/rl.py _truncate_long_sequences_rl):
// a reply tokenized alone without special tokens and longer than `max_tokens` is cut to that many tokens
// and decoded back to text, special tokens kept. The caller checks the lengths again (Axolotl's drop
// filter after the truncation), so a prompt that alone fills sequence_len still drops the row.
std::string cut_reply(const Tokenizer& tok, const std::string& text, int64_t max_tokens) {
  std::vector<int32_t> ids = tok.encode(text, false, false);
  if (static_cast<int64_t>(ids.size()) <= max_tokens) return text;
  ids.resize(static_cast<size_t>(max_tokens));
  return tok.decode(ids, false);
}

UserDefinedKto user_defined_kto(const config::DatasetConfig& ds) {
  const auto& m = ds.user_defined;
  UserDefinedKto u;
  if (!ds.field_system.empty()) u.field_system = ds.field_system;
  auto take = [&](const char* k, std::string& to) { take_setting(m, k, to); };
  take("field_prompt", u.field_prompt);
  take("field_completion", u.field_completion);
  take("field_label", u.field_label);
  take("prompt_format", u.prompt_format);
  take("completion_format", u.completion_format);
  return u;
}

}  // namespace

// One pair row per record (preference_rows.h): Axolotl's drop of long pairs, then TRL's DPO
// tokenization with max_length = sequence_len (a pair whose prompt fills it gives no row, as in TRL).
// Dropped pairs are not counted in the dataset stats (the record gives no row). excess_length_strategy:
// truncate first cuts each reply to sequence_len − prompt tokens (cut_reply), as Axolotl does; raise
// throws ExcessLengthError for a pair that does not fit (Axolotl's _raise_on_long_sequences).
void RowEncoder::encode_preference(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  if (rl_ == "kto") return encode_kto(record, out);
  if (conversation_template_ || !conversation_template_problem_.empty()) {
    if (is_conversational_preference(record)) return encode_conversation(record, out);
  }
  const nlohmann::json row(record);  // preference texts are strings: key order is not rendered
  PreferenceText text;
  if (template_) {  // chat_template.default / argilla_chat, or ORPO's chat_template.argilla
    ChatPreference c;
    c.chat_template = &*template_;
    c.vars = chat_vars_;
    c.field_messages = ds_.field_messages;
    c.field_chosen = ds_.field_chosen;
    c.field_rejected = ds_.field_rejected;
    c.property_mappings = ds_.message_property_mappings;
    c.roles = ds_.roles;
    text = ds_.type_name == "chat_template.argilla"        ? render_orpo_argilla(row, c)
           : ds_.type_name == "chat_template.argilla_chat" ? render_argilla_chat_preference(row, c)
                                                           : render_chat_preference(row, c);
  } else {
    text = render_preference(ds_.type_name, row, user_defined_preference(ds_));
  }
  encode_pair_text(std::move(text), out);
}

void RowEncoder::encode_pair_text(PreferenceText text, std::vector<TokenizedRow>& out) const {
  for (const auto* part : {&text.prompt, &text.chosen, &text.rejected})
    if (part->empty()) row_error(ds_.type_name, "an empty prompt, chosen or rejected text",
                                 "'" + text.prompt + "' / '" + text.chosen + "' / '" + text.rejected + "'",
                                 "non-empty strings (Axolotl requires all three)");
  // Axolotl's default excess_length_strategy (drop), before TRL: prompt + reply, each tokenized alone
  // without special tokens, must fit sequence_len (utils/data/rl.py _drop_long_sequences).
  const auto n = [&](const std::string& t) { return static_cast<int64_t>(tok_.encode(t, false, false).size()); };
  const int64_t prompt = n(text.prompt);
  const auto fits = [&] { return prompt + n(text.chosen) <= sequence_len_ && prompt + n(text.rejected) <= sequence_len_; };
  if (!fits() && truncate_excess_ && prompt < sequence_len_) {
    text.chosen = cut_reply(tok_, text.chosen, sequence_len_ - prompt);
    text.rejected = cut_reply(tok_, text.rejected, sequence_len_ - prompt);
  }
  if (!fits()) {
    if (!raise_excess_) return;
    const int64_t c = n(text.chosen), r = n(text.rejected);
    throw excess_length_error("prompt " + std::to_string(prompt) + " + chosen " + std::to_string(c) + " = " +
                                  std::to_string(prompt + c) + " tokens, prompt " + std::to_string(prompt) +
                                  " + rejected " + std::to_string(r) + " = " + std::to_string(prompt + r) +
                                  " tokens (each text tokenized alone, without special tokens)",
                              sequence_len_);
  }
  // ORPOTrainer and SimPO's CPOTrainer tokenize every row with TRL's legacy tokenize_row, whatever the
  // dataset type (chat_template.argilla, or rows as they are).
  if (rl_ == "orpo" || rl_ == "simpo") {
    out.push_back(pair_row(tokenize_legacy(tok_, text, sequence_len_)));
  } else if (auto pair = tokenize_dpo(tok_, text, sequence_len_)) {
    out.push_back(pair_row(*pair, sequence_len_));
  }
}

// TRL's conversational rows (conversational_preference.h), read by passthrough: ORPO and SimPO (CPO)
// render them to strings and go on as string rows; DPO and IPO tokenize the renderings and slice ids.
// Axolotl's own length filter cannot read message lists (it passes them to the tokenizer), so the
// sequence_len rule here counts the rendered tokens: prompt + reply within sequence_len, else
// excess_length_strategy (drop; raise; truncate: the reply cut at sequence_len, as TRL's collator cuts).
void RowEncoder::encode_conversation(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  if (!conversation_template_) {
    Diagnostic d;
    d.key = "chat_template";
    d.message = "conversational preference rows (message lists) are rendered with the tokenizer's chat template, "
                "and there is none";
    d.found = conversation_template_problem_;
    d.hint = "set chat_template (e.g. chatml, or tokenizer_default for a tokenizer that has one)";
    throw Error(d);
  }
  const Conversation c = conversation_of(record);
  if (rl_ == "orpo" || rl_ == "simpo") return encode_pair_text(render_conversation(c, *conversation_template_, chat_vars_), out);
  const auto pair = tokenize_conversation(tok_, c, *conversation_template_, chat_vars_, sequence_len_);
  if (!pair) return;  // the prompt alone fills sequence_len (TRL drops it)
  const auto prompt = static_cast<int64_t>(pair->prompt.size());
  const auto c_len = static_cast<int64_t>(pair->chosen.size()), r_len = static_cast<int64_t>(pair->rejected.size());
  if (prompt + std::max(c_len, r_len) > sequence_len_ && !truncate_excess_) {
    if (!raise_excess_) return;
    throw excess_length_error("prompt " + std::to_string(prompt) + " + chosen " + std::to_string(c_len) + " = " +
                                  std::to_string(prompt + c_len) + " tokens, prompt " + std::to_string(prompt) +
                                  " + rejected " + std::to_string(r_len) + " = " + std::to_string(prompt + r_len) +
                                  " tokens (rendered with the chat template)",
                              sequence_len_);
  }
  out.push_back(pair_row(*pair, sequence_len_));
}

// One KTO row per record (kto_strategy.h): Axolotl's drop when prompt + completion, each tokenized
// alone without special tokens, exceed sequence_len (utils/data/rl.py _drop_long_sequences; with
// excess_length_strategy: truncate the completion is cut first, cut_reply; raise throws), then
// TRL's KTO tokenization; the collator cuts each sequence at max_length = sequence_len.
void RowEncoder::encode_kto(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  KtoText text = render_kto(ds_.type_name, nlohmann::json(record), user_defined_kto(ds_));
  if (text.prompt.empty() || text.completion.empty())
    row_error(ds_.type_name, "an empty prompt or completion", "'" + text.prompt + "' / '" + text.completion + "'",
              "non-empty strings (Axolotl requires both)");
  const auto n = [&](const std::string& t) { return static_cast<int64_t>(tok_.encode(t, false, false).size()); };
  const int64_t prompt = n(text.prompt);
  if (prompt + n(text.completion) > sequence_len_ && truncate_excess_ && prompt < sequence_len_)
    text.completion = cut_reply(tok_, text.completion, sequence_len_ - prompt);
  if (const int64_t c = n(text.completion); prompt + c > sequence_len_) {
    if (!raise_excess_) return;
    throw excess_length_error("prompt " + std::to_string(prompt) + " + completion " + std::to_string(c) + " = " +
                                  std::to_string(prompt + c) + " tokens (each text tokenized alone, without special tokens)",
                              sequence_len_);
  }
  out.push_back(kto_row(tokenize_kto(tok_, text)));
}

}  // namespace axolotl::data
