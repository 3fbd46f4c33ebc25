// KTO strategies, tokenization and stored rows (see kto_strategy.h). Strings: Axolotl
// prompt_strategies/kto/chatml.py and llama3.py (the same five functions with the two turn syntaxes),
// user_defined.py.
#include "axolotl/data/kto_strategy.h"

#include "axolotl/util/error.h"
#include "named_format.h"
#include "turn_syntax.h"

namespace axolotl::data {
namespace {

constexpr const char* kVariants[] = {"argilla", "argilla_chat", "intel", "prompt_pairs", "ultra"};

[[noreturn]] void bad_row(const std::string& type, const std::string& found, const std::string& expected) {
  Diagnostic d;
  d.key = "type";
  d.message = "a row does not fit the KTO dataset type " + type;
  d.found = found;
  d.expected = expected;
  throw Error(d);
}

std::string text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

const nlohmann::json& field(const std::string& type, const nlohmann::json& row, const std::string& name) {
  if (!row.is_object() || !row.contains(name) || row[name].is_null()) bad_row(type, "no '" + name + "'", "every row to have '" + name + "'");
  return row[name];
}

bool has_system(const nlohmann::json& row) {
  if (!row.contains("system")) return false;
  const auto& s = row["system"];
  return !(s.is_null() || (s.is_string() && s.get<std::string>().empty()) || (s.is_boolean() && !s.get<bool>()));
}

// Python truthiness of a present, non-null JSON value (a string, number, bool, list or object).
bool truthy(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();  // json::empty() is false for any string
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

// TRL: torch.as_tensor(labels, dtype=torch.bool): a bool, or a number (non-zero = desirable).
bool label_of(const std::string& type, const nlohmann::json& row, const std::string& name = "label") {
  const auto& l = field(type, row, name);
  if (l.is_boolean()) return l.get<bool>();
  if (l.is_number()) return l.get<double>() != 0.0;
  bad_row(type, "label " + l.dump(), "true (desirable) or false (undesirable)");
}

}  // namespace

bool is_kto_type(const std::string& type) {
  if (type == "user_defined.default") return true;
  for (const char* prefix : {"chatml.", "llama3."}) {
    if (type.rfind(prefix, 0) != 0) continue;
    const std::string v = type.substr(std::string(prefix).size());
    for (const char* k : kVariants)
      if (v == k) return true;
  }
  return false;
}

KtoText render_kto(const std::string& type, const nlohmann::json& row, const UserDefinedKto& fields) {
  if (type == "user_defined.default") {  // Axolotl kto/user_defined.py transform_fn
    KtoText out;
    const std::string prompt = text(field(type, row, fields.field_prompt));
    const bool system = fields.prompt_format.find("{system}") != std::string::npos && row.is_object() &&
                        row.contains(fields.field_system) && truthy(row[fields.field_system]);
    out.prompt = system ? named_format(fields.prompt_format, {{"system", text(row[fields.field_system])}, {"prompt", prompt}})
                        : named_format(fields.prompt_format, {{"prompt", prompt}});
    out.completion = named_format(fields.completion_format, {{"completion", text(field(type, row, fields.field_completion))}});
    out.desirable = label_of(type, row, fields.field_label);
    return out;
  }
  if (!is_kto_type(type)) {
    Diagnostic d;
    d.key = "type";
    d.message = "unknown KTO dataset type";
    d.found = type;
    d.expected = "chatml.{argilla,argilla_chat,intel,prompt_pairs,ultra}, llama3.<same> or user_defined.default";
    if (type == "chatml.default" || type == "llama3.default" || type == "chatml" || type == "llama3")
      d.hint = "the DPO strategies read chosen/rejected pairs; KTO reads one completion and a label per row";
    throw Error(d);
  }
  const TurnSyntax& t = type.rfind("llama3", 0) == 0 ? kLlama3Turns : kChatmlTurns;
  const std::string v = type.substr(type.find('.') + 1);
  KtoText out;
  std::string user, completion;
  if (v == "argilla_chat") {  // completion = [user message, assistant message]; no system turn
    const auto& list = field(type, row, "completion");
    for (size_t i = 0; i < 2; ++i)
      if (!list.is_array() || list.size() <= i || !list[i].is_object() || !list[i].contains("content"))
        bad_row(type, "no completion[" + std::to_string(i) + "].content", "completion: a [user, assistant] message list");
    user = text(list[0]["content"]);
    completion = text(list[1]["content"]);
  } else {
    user = text(field(type, row, v == "argilla" ? "instruction" : v == "intel" ? "question" : "prompt"));
    completion = text(field(type, row, "completion"));
    if (has_system(row)) out.prompt = std::string(t.system_open) + text(row["system"]) + t.end + t.sep;
  }
  out.prompt += std::string(t.user_open) + user + t.end + t.sep + t.assistant_open;
  out.completion = completion + t.end;
  out.desirable = label_of(type, row);
  return out;
}

KtoExample tokenize_kto(const Tokenizer& tok, const KtoText& text) {
  const std::string eos = tok.eos_id() >= 0 ? tok.id_to_token(tok.eos_id()) : "";
  std::string completion = text.completion;
  const bool ends = !eos.empty() && completion.size() >= eos.size() &&
                    completion.compare(completion.size() - eos.size(), eos.size(), eos) == 0;
  if (!eos.empty() && !ends) completion += eos;
  KtoExample e;
  e.desirable = text.desirable;
  e.prompt = tok.encode(text.prompt);
  const std::vector<int32_t> full = tok.encode(text.prompt + completion);
  if (full.size() > e.prompt.size()) e.completion.assign(full.begin() + static_cast<long>(e.prompt.size()), full.end());
  return e;
}

TokenizedRow kto_row(const KtoExample& e) {
  TokenizedRow row;
  row.input_ids = {e.desirable ? 1 : 0, static_cast<int32_t>(e.prompt.size())};
  row.labels = {kIgnoreIndex, kIgnoreIndex};
  for (int32_t id : e.prompt) {
    row.input_ids.push_back(id);
    row.labels.push_back(kIgnoreIndex);
  }
  for (int32_t id : e.completion) {
    row.input_ids.push_back(id);
    row.labels.push_back(id);
  }
  return row;
}

KtoSpans kto_spans(const int32_t* tokens, int64_t length) {
  if (length < 2 || (tokens[0] != 0 && tokens[0] != 1) || tokens[1] < 0 || tokens[1] > length - 2) {
    Diagnostic d;
    d.message = "a row of a KTO dataset is not a [label, prompt length, prompt, completion] row";
    d.found = length < 2 ? "a row of " + std::to_string(length) + " tokens"
                         : "header " + std::to_string(tokens[0]) + ", " + std::to_string(tokens[1]) + " in a row of " +
                               std::to_string(length);
    d.expected = "label 0 or 1, then a prompt length that fits the row";
    d.hint = "delete the prepared dataset folder (dataset_prepared_path) and prepare again";
    throw Error(d);
  }
  KtoSpans s;
  s.desirable = tokens[0] == 1;
  s.prompt_length = tokens[1];
  s.completion_begin = 2 + s.prompt_length;
  s.completion_length = length - s.completion_begin;
  return s;
}

}  // namespace axolotl::data
