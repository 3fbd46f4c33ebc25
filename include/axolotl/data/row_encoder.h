// Turns one dataset record into training rows (input_ids + labels) exactly as Python Axolotl's
// prompt strategies do (FORMATS.md §8–9): alpaca styles, custom/user-defined formats, completion,
// input_output, chat templates and pre-tokenized rows. Thread-safe (const, shares the tokenizer).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/data/chat_template.h"
#include "axolotl/data/preference_strategy.h"
#include "axolotl/data/tokenizer.h"
#include "axolotl/util/error.h"

namespace axolotl::data {

constexpr int32_t kIgnoreIndex = -100;  // IGNORE_INDEX of Axolotl and HF cross_entropy

struct TokenizedRow {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;  // kIgnoreIndex where no loss is taken
};

// excess_length_strategy: raise met a row longer than sequence_len (Axolotl raises ValueError). Not a
// bad row: skip_bad_rows does not skip it. The builder adds the file and line.
class ExcessLengthError : public Error {
 public:
  using Error::Error;
};

// The error for a row of `found` ("… tokens") when sequence_len is `sequence_len`.
ExcessLengthError excess_length_error(const std::string& found, int sequence_len);

class RowEncoder {
 public:
  // `tokenizer_dir`: where tokenizer_config.json holds the model's own chat template (used for
  // chat_template: tokenizer_default, the default, and tokenizer_default_fallback_<name>).
  RowEncoder(const config::DatasetConfig& ds, const config::DataConfig& data, const Tokenizer& tokenizer,
             const std::string& tokenizer_dir = "");

  // Appends the rows one record makes (completion may cut one text into several). Throws Error
  // whose Diagnostic names the offending field (the caller adds file:line). The record's key order
  // is kept where a chat template can see it (dicts of messages and tools, as Python's).
  void encode(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // The same for a record built in code: its keys are sorted (nlohmann::json's order).
  void encode(const nlohmann::json& record, std::vector<TokenizedRow>& out) const {
    encode(nlohmann::ordered_json(record), out);
  }

  const config::DatasetConfig& dataset() const { return ds_; }
  // Whether every row is expected to end a trained turn with EOS (false: completion chunks, raw rows).
  bool expects_trained_eos() const;
  const ChatTemplate* chat_template() const { return template_ ? &*template_ : nullptr; }

 private:
  // Python Axolotl's PromptTokenizingStrategy._tokenize.
  std::vector<int32_t> tokenize(const std::string& text, bool add_eos, bool strip_bos, int max_length) const;
  void encode_instruction(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  void encode_completion(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  void encode_input_output(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  void encode_pretokenized(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  void encode_chat(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // apply_chat_template(turns, tokenize=True, tools, real_last_index) for the chat strategy.
  std::vector<int32_t> chat_ids(const jinja::List& turns, const jinja::Value& tools, int64_t real_last_index) const;
  jinja::List conversation(const nlohmann::ordered_json& record, const std::string& field) const;
  void setup_chat(const config::DataConfig& data);
  void encode_preference(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // The message key the template reads the reasoning text from (template_thinking_key; Axolotl's
  // `template_thinking_key or "reasoning_content"`).
  const std::string& thinking_key() const {
    static const std::string kDefault = "reasoning_content";
    return ds_.template_thinking_key.empty() ? kDefault : ds_.template_thinking_key;
  }
  void encode_kto(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // A pair's strings: the empty-text check, Axolotl's length rule, TRL's tokenization (DPO or legacy).
  void encode_pair_text(PreferenceText text, std::vector<TokenizedRow>& out) const;
  // TRL's conversational rows under passthrough (conversational_preference.h).
  void encode_conversation(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // bradley_terry.chat_template: one pair row of the two whole conversations (reward_model).
  void encode_bradley_terry(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;
  // stepwise_supervised: prompt and steps with a class label on each step's last token (process_reward_model).
  void encode_stepwise(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const;

  config::DatasetConfig ds_;
  int sequence_len_;
  bool train_on_inputs_;
  const Tokenizer& tok_;
  bool truncate_excess_ = false;  // excess_length_strategy: truncate (rl rows: replies cut, as Axolotl)
  bool raise_excess_ = false;     // excess_length_strategy: raise (rl rows that do not fit throw)
  std::string rl_;  // data.rl: "kto" reads unpaired rows, "simpo" tokenizes as CPO
  std::optional<ChatTemplate> template_;
  // passthrough under rl: the tokenizer's template as Axolotl sets it (the top-level chat_template, else
  // the tokenizer's own) for TRL's conversational rows; why there is none, when there is none.
  std::optional<ChatTemplate> conversation_template_;
  std::string conversation_template_problem_;
  std::string bos_text_, eos_text_;
  ChatVars chat_vars_;
  std::string tokenizer_dir_;
  std::string train_on_eos_, train_on_eot_;  // all | turn | last | none
  std::vector<int32_t> eot_ids_;             // single-token ids of eot_tokens
  std::shared_ptr<std::atomic<bool>> warned_prefix_ = std::make_shared<std::atomic<bool>>(false);
};

// The record's string field `key`: throws Error naming it when missing (unless optional), not a
// string, or empty (unless allow_empty). Null counts as missing.
std::optional<std::string> string_field(const nlohmann::ordered_json& record, const std::string& key, bool required,
                                        bool allow_empty);

}  // namespace axolotl::data
