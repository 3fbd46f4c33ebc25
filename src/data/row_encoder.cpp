// Instruction-style formats (alpaca, alpaca:chat, alpaca:chatml, custom, user-defined), completion,
// input_output and pre-tokenized rows. Sources: Axolotl prompters.py (AlpacaPrompter),
// prompt_tokenizers.py (_tokenize, InstructionPromptTokenizingStrategy), completion.py, input_output.py.
// The other formats' rows: chat_encoder.cpp, preference_encoder.cpp, reward_pairs.cpp, stepwise_rows.cpp.
#include "axolotl/data/row_encoder.h"

#include <map>

#include "axolotl/data/kto_strategy.h"
#include "axolotl/data/preference_rows.h"
#include "axolotl/util/error.h"
#include "row_error.h"

namespace axolotl::data {

namespace {

using config::DatasetFormat;

const char* kSystemPrompt =
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.";
const char* kSystemNoInputPrompt =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

struct InstructionStyle {
  std::string turn_format, turn_no_input_format, system_format;
  std::string system_prompt, system_no_input_prompt;
};

InstructionStyle style_for(const config::DatasetConfig& ds) {
  InstructionStyle s{"", "", "", kSystemPrompt, kSystemNoInputPrompt};
  switch (ds.format) {
    case DatasetFormat::kAlpacaChat:
      s.turn_format = "USER: {instruction}\n{input}\nASSISTANT:";
      s.turn_no_input_format = "USER: {instruction}\nASSISTANT:";
      s.system_format = "SYSTEM: {system}\n";
      return s;
    case DatasetFormat::kAlpacaChatml:
      s.turn_format = "<|im_start|>user\n{instruction}\n{input}<|im_end|>\n<|im_start|>assistant\n";
      s.turn_no_input_format = "<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n";
      s.system_format = "<|im_start|>system\n{system}<|im_end|>\n";
      return s;
    case DatasetFormat::kAlpacaPhi:  // prompters.py, PromptStyle.PHI (the input follows <|end|> directly)
      s.turn_format = "<|user|>\n{instruction}<|end|>{input}<|assistant|>";
      s.turn_no_input_format = "<|user|>\n{instruction}<|end|>\n<|assistant|>\n";
      s.system_format = "<|system|>\n{system}<|end|>\n";
      return s;
    default:
      break;
  }
  s.turn_format = "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";
  s.turn_no_input_format = "### Instruction:\n{instruction}\n\n### Response:\n";
  s.system_format = "{system}\n\n";
  if (ds.format == DatasetFormat::kCustom && !ds.prompt_format.empty()) {
    // Axolotl's user-defined type: the config's formats and system prompt, no default system text.
    s.turn_format = ds.prompt_format;
    s.turn_no_input_format = ds.no_input_format.empty() ? ds.prompt_format : ds.no_input_format;
    s.system_format = ds.system_format;
    s.system_prompt = s.system_no_input_prompt = ds.system_prompt;
  } else if (ds.format == DatasetFormat::kCustom && !ds.system_prompt.empty()) {
    s.system_prompt = s.system_no_input_prompt = ds.system_prompt;
  }
  return s;
}

// Python str.format with named fields only: "{name}" replaced, "{{" / "}}" unescaped.
std::string format_fields(const std::string& fmt, const std::map<std::string, std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if ((c == '{' || c == '}') && i + 1 < fmt.size() && fmt[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      auto close = fmt.find('}', i);
      if (close == std::string::npos) row_error("format", "unbalanced '{' in prompt format", fmt);
      auto it = fields.find(fmt.substr(i + 1, close - i - 1));
      if (it == fields.end()) row_error("format", "unknown placeholder in prompt format", fmt.substr(i, close - i + 1),
                                        "{instruction}, {input} or {system}");
      out += it->second;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> string_field(const nlohmann::ordered_json& record, const std::string& key, bool required,
                                        bool allow_empty) {
  if (!record.is_object()) row_error("", "record is not a JSON object", record.type_name(), "object");
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) {
    if (required) row_error(key, "required field missing");
    return std::nullopt;
  }
  if (!it->is_string()) row_error(key, "field has the wrong type", it->type_name(), "string");
  std::string value = it->get<std::string>();
  if (value.empty() && !allow_empty) row_error(key, "field is an empty string");
  return value;
}

ExcessLengthError excess_length_error(const std::string& found, int sequence_len) {
  Diagnostic d;
  d.key = "excess_length_strategy";
  d.message = "sample exceeds configured sequence_len (" + std::to_string(sequence_len) + ")";
  d.found = found;
  d.expected = "at most " + std::to_string(sequence_len) + " tokens";
  d.hint = "set excess_length_strategy: drop or excess_length_strategy: truncate to handle long sequences "
           "automatically, or raise sequence_len";
  return ExcessLengthError(d);
}

RowEncoder::RowEncoder(const config::DatasetConfig& ds, const config::DataConfig& data, const Tokenizer& tokenizer,
                       const std::string& tokenizer_dir)
    : ds_(ds), sequence_len_(data.sequence_len), train_on_inputs_(data.train_on_inputs), tok_(tokenizer),
      truncate_excess_(data.excess_length_strategy == config::ExcessLength::kTruncate),
      raise_excess_(data.excess_length_strategy == config::ExcessLength::kRaise), rl_(data.rl) {
  // Qwen's tokenizers have no BOS (bos_id -1): the template's bos_token is then empty, as in transformers.
  bos_text_ = tok_.bos_id() >= 0 ? tok_.id_to_token(tok_.bos_id()) : "";
  eos_text_ = tok_.eos_id() >= 0 ? tok_.id_to_token(tok_.eos_id()) : "";
  // An unknown preference strategy fails here, before any row is read.
  if (ds_.format == DatasetFormat::kPreference && rl_ == "kto") {
    if (!is_kto_type(ds_.type_name)) render_kto(ds_.type_name, nlohmann::json::object());
    return;
  }
  if (ds_.format == DatasetFormat::kPreference && !is_preference_type(ds_.type_name))
    render_preference(ds_.type_name, nlohmann::json::object());
  if (ds_.format == DatasetFormat::kPreference && (ds_.type_name == "passthrough" || ds_.type_name == "passthrough.default")) {
    // Axolotl's load_tokenizer puts the top-level chat_template on the tokenizer, which TRL renders
    // conversational rows with; string rows never need it, so its absence matters only for those.
    chat_vars_.bos_token = bos_text_;
    chat_vars_.eos_token = eos_text_;
    const std::string choice = data.chat_template.empty() && !data.chat_template_jinja.empty() ? "jinja" : data.chat_template;
    try {
      conversation_template_ = resolve_chat_template(choice, data.chat_template_jinja, tokenizer_dir, "chat_template");
    } catch (const Error& e) {
      conversation_template_problem_ = e.what();
    }
    return;
  }
  const bool chat_preference = ds_.format == DatasetFormat::kPreference && ds_.type_name.rfind("chat_template.", 0) == 0;
  if (ds_.format != DatasetFormat::kChatTemplate && ds_.format != DatasetFormat::kBradleyTerry && !chat_preference) return;
  // Axolotl's extract_chat_template_args: the dataset's chat_template (with its own
  // chat_template_jinja; that alone means jinja) wins over the top-level pair. But load_tokenizer
  // first replaces the tokenizer's own template with the top-level choice, so a dataset's
  // tokenizer_default (which Axolotl's validator writes into every chat_template dataset) or
  // tokenizer_default_fallback_<name> means the top-level template when there is one.
  const bool top_level = !data.chat_template.empty() || !data.chat_template_jinja.empty();
  const bool tokenizers = ds_.chat_template.rfind("tokenizer_default", 0) == 0;
  // ORPO's chat_template.argilla reads the top-level pair only (get_chat_template_from_config without ds_cfg).
  bool own = (!ds_.chat_template.empty() || !ds_.chat_template_jinja.empty()) && !(tokenizers && top_level) &&
             ds_.type_name != "chat_template.argilla";
  std::string choice = own ? (ds_.chat_template.empty() ? "jinja" : ds_.chat_template)
                           : (data.chat_template.empty() && !data.chat_template_jinja.empty() ? "jinja" : data.chat_template);
  // (A dataset's `jinja` without its own text uses the top-level chat_template_jinja.)
  const std::string& text = own && !ds_.chat_template_jinja.empty() ? ds_.chat_template_jinja : data.chat_template_jinja;
  template_ = resolve_chat_template(choice, text, tokenizer_dir,
                                    own ? "datasets[].chat_template" : "chat_template");
  chat_vars_.bos_token = bos_text_;
  chat_vars_.eos_token = eos_text_;
  tokenizer_dir_ = tokenizer_dir;
  if (chat_preference) return;
  chat_vars_.extra = chat_template_kwargs(data.chat_template_kwargs);  // build_prompt's **chat_template_kwargs
  setup_chat(data);
}

bool RowEncoder::expects_trained_eos() const {
  return ds_.format != DatasetFormat::kCompletion && ds_.format != DatasetFormat::kPretokenized &&
         ds_.format != DatasetFormat::kInputOutput && ds_.format != DatasetFormat::kStepwise;
}

std::vector<int32_t> RowEncoder::tokenize(const std::string& text, bool add_eos, bool strip_bos, int max_length) const {
  if (text.empty()) return {};
  std::vector<int32_t> ids = tok_.encode(text);
  if (static_cast<int>(ids.size()) > max_length) {  // HF truncation keeps the special tokens it adds
    bool eos_end = tok_.add_eos() && !ids.empty() && ids.back() == tok_.eos_id();
    ids.resize(max_length);
    if (eos_end && max_length > 0) ids.back() = tok_.eos_id();
  }
  if (ids.empty()) return ids;
  if (ids.back() != tok_.eos_id() && static_cast<int>(ids.size()) < max_length && add_eos) ids.push_back(tok_.eos_id());
  if (ids.front() == tok_.bos_id() && strip_bos) ids.erase(ids.begin());
  return ids;
}

void RowEncoder::encode(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  if (!record.is_object()) row_error("", "record is not a JSON object", record.type_name(), "object");
  switch (ds_.format) {
    case DatasetFormat::kAlpaca:
    case DatasetFormat::kAlpacaChat:
    case DatasetFormat::kAlpacaChatml:
    case DatasetFormat::kAlpacaPhi:
    case DatasetFormat::kCustom: return encode_instruction(record, out);
    case DatasetFormat::kCompletion: return encode_completion(record, out);
    case DatasetFormat::kInputOutput: return encode_input_output(record, out);
    case DatasetFormat::kPretokenized: return encode_pretokenized(record, out);
    case DatasetFormat::kChatTemplate: return encode_chat(record, out);
    case DatasetFormat::kPreference: return encode_preference(record, out);
    case DatasetFormat::kBradleyTerry: return encode_bradley_terry(record, out);
    case DatasetFormat::kStepwise: return encode_stepwise(record, out);
  }
}

void RowEncoder::encode_instruction(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  InstructionStyle s = style_for(ds_);
  std::string instruction = *string_field(record, ds_.field_instruction, true, false);
  std::string input = string_field(record, ds_.field_input, false, true).value_or("");
  std::string output = *string_field(record, ds_.field_output, true, false);
  if (ds_.type_name == "jeopardy") output = "what is " + output;  // prompt_tokenizers.py, JeopardyPromptTokenizingStrategy
  std::string system = input.empty() ? s.system_no_input_prompt : s.system_prompt;
  if (!ds_.field_system.empty()) {
    if (auto row_system = string_field(record, ds_.field_system, false, true); row_system && !row_system->empty()) {
      system = *row_system;
    }
  }
  std::map<std::string, std::string> fields{{"instruction", instruction}, {"input", input}, {"system", system}};
  std::string prompt = system.empty() ? "" : format_fields(s.system_format, fields);
  prompt += format_fields(input.empty() ? s.turn_no_input_format : s.turn_format, fields);

  TokenizedRow row;
  row.input_ids = tokenize(prompt, false, false, sequence_len_);
  row.labels = train_on_inputs_ ? row.input_ids : std::vector<int32_t>(row.input_ids.size(), kIgnoreIndex);
  std::vector<int32_t> response = tokenize(output, true, true, sequence_len_);
  row.input_ids.insert(row.input_ids.end(), response.begin(), response.end());
  row.labels.insert(row.labels.end(), response.begin(), response.end());
  out.push_back(std::move(row));
}

void RowEncoder::encode_completion(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  std::string key = ds_.field.empty() ? "text" : ds_.field;
  std::string text = *string_field(record, key, true, false);
  std::vector<int32_t> ids = tokenize(text, true, false, sequence_len_ * 64);
  for (size_t i = 0; i < ids.size(); i += static_cast<size_t>(sequence_len_)) {
    TokenizedRow row;
    row.input_ids.assign(ids.begin() + i, ids.begin() + std::min(ids.size(), i + sequence_len_));
    row.labels = row.input_ids;
    out.push_back(std::move(row));
  }
}

void RowEncoder::encode_input_output(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  auto it = record.find("segments");
  if (it == record.end()) row_error("segments", "required field missing");
  if (!it->is_array() || it->empty()) row_error("segments", "must be a non-empty array", it->type_name(), "array");
  TokenizedRow row;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& seg = (*it)[i];
    std::string where = "segments[" + std::to_string(i) + "]";
    if (!seg.is_object()) row_error(where, "segment is not an object", seg.type_name(), "object");
    auto label = seg.find("label");
    if (label == seg.end() || !label->is_boolean()) row_error(where + ".label", "required boolean missing or mistyped");
    std::string text = *string_field(seg, "text", true, true);
    std::vector<int32_t> ids = text.empty() ? std::vector<int32_t>{} : tok_.encode(text, false, false);
    bool train = label->get<bool>() || train_on_inputs_;
    row.input_ids.insert(row.input_ids.end(), ids.begin(), ids.end());
    if (train) row.labels.insert(row.labels.end(), ids.begin(), ids.end());
    else row.labels.insert(row.labels.end(), ids.size(), kIgnoreIndex);
  }
  out.push_back(std::move(row));
}

// attention_mask: positions with 0 are neither attended nor trained. Leading and trailing zeros
// (left or right padding) are dropped: under RoPE, attention depends only on the distance between
// tokens, so the kept tokens see exactly what HF computes with the mask. Zeros between ones would
// need a per-key mask inside a row, which rows do not carry: an error naming the row.
namespace {

void apply_attention_mask(const nlohmann::ordered_json& record, TokenizedRow& row) {
  auto it = record.find("attention_mask");
  if (it == record.end() || it->is_null()) return;
  if (!it->is_array()) row_error("attention_mask", "field has the wrong type", it->type_name(), "array of 0/1");
  if (it->size() != row.input_ids.size())
    row_error("attention_mask", "length differs from input_ids", std::to_string(it->size()),
              std::to_string(row.input_ids.size()));
  std::vector<bool> keep;
  keep.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number_integer() && !v.is_boolean()) row_error("attention_mask", "field holds a non-integer", v.dump(), "0 or 1");
    const int64_t m = v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<int64_t>();
    if (m != 0 && m != 1) row_error("attention_mask", "value out of range", v.dump(), "0 or 1");
    keep.push_back(m == 1);
  }
  size_t first = 0, last = keep.size();
  while (first < last && !keep[first]) ++first;
  while (last > first && !keep[last - 1]) --last;
  if (first == last) row_error("attention_mask", "masks every token", "all zeros", "at least one 1");
  for (size_t i = first; i < last; ++i)
    if (!keep[i])
      row_error("attention_mask", "has a 0 between ones (only leading or trailing padding can be masked)",
                "0 at position " + std::to_string(i), "padding at the start or end of the row");
  row.input_ids = std::vector<int32_t>(row.input_ids.begin() + first, row.input_ids.begin() + last);
  row.labels = std::vector<int32_t>(row.labels.begin() + first, row.labels.begin() + last);
}

}  // namespace

void RowEncoder::encode_pretokenized(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  auto read_ids = [&](const char* key, bool required, std::vector<int32_t>& ids) {
    auto it = record.find(key);
    if (it == record.end() || it->is_null()) {
      if (required) row_error(key, "required field missing", "", "array of token ids");
      return false;
    }
    if (!it->is_array()) row_error(key, "field has the wrong type", it->type_name(), "array of integers");
    for (const auto& v : *it) {
      if (!v.is_number_integer()) row_error(key, "field holds a non-integer", v.dump(), "integer token id");
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        row_error(key, "token id out of range", v.dump(), "0 .. " + std::to_string(tok_.vocab_size() - 1));
      int64_t id = v.get<int64_t>();
      bool label_ok = std::string(key) == "labels" && id == kIgnoreIndex;
      if (!label_ok && (id < 0 || id >= tok_.vocab_size())) {
        row_error(key, "token id out of range", std::to_string(id), "0 .. " + std::to_string(tok_.vocab_size() - 1));
      }
      ids.push_back(static_cast<int32_t>(id));
    }
    return true;
  };
  TokenizedRow row;
  read_ids("input_ids", true, row.input_ids);
  if (row.input_ids.empty()) row_error("input_ids", "field is an empty array");
  if (!read_ids("labels", false, row.labels)) row.labels = row.input_ids;
  if (row.labels.size() != row.input_ids.size()) {
    row_error("labels", "length differs from input_ids", std::to_string(row.labels.size()),
              std::to_string(row.input_ids.size()));
  }
  apply_attention_mask(record, row);
  out.push_back(std::move(row));
}

}  // namespace axolotl::data
