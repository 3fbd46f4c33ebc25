// TRL's conversational preference rows (see conversational_preference.h). Sources: TRL 1.8
// trl/data_utils.py (is_conversational, extract_prompt, apply_chat_template), trl/trainer/dpo_trainer.py
// (tokenize_fn), transformers' apply_chat_template (continue_final_message).
#include "axolotl/data/conversational_preference.h"

#include <algorithm>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::data {
namespace {

using Json = nlohmann::ordered_json;

bool is_message_list(const Json& v) {
  return v.is_array() && !v.empty() && v.front().is_object() && v.front().contains("role");
}

[[noreturn]] void bad_field(const std::string& field, const Json& v, const std::string& expected) {
  Diagnostic d;
  d.key = "type";
  d.message = "a conversational preference row (passthrough) has a field TRL cannot read";
  d.found = field + " as JSON " + std::string(v.type_name());
  d.expected = expected;
  throw Error(d);
}

const Json& messages(const Json& row, const std::string& field) {
  if (!row.contains(field)) {
    Diagnostic d;
    d.key = "type";
    d.message = "a conversational preference row (passthrough) lacks a field";
    d.found = "no '" + field + "'";
    d.expected = "prompt, chosen and rejected message lists, or chosen and rejected alone";
    throw Error(d);
  }
  const Json& v = row[field];
  if (!v.is_array()) bad_field(field, v, "a list of messages ({\"role\": ..., \"content\": ...})");
  for (const auto& m : v)
    if (!m.is_object() || !m.contains("role")) bad_field(field + "[]", m, "message objects with a role");
  return v;
}

Json slice(const Json& list, size_t from, size_t to) {
  Json out = Json::array();
  for (size_t i = from; i < to && i < list.size(); ++i) out.push_back(list[i]);
  return out;
}

Json concat(const Json& a, const Json& b) {
  Json out = a;
  for (const auto& m : b) out.push_back(m);
  return out;
}

jinja::List message_values(const Json& list) {
  jinja::List out;
  out.reserve(list.size());
  for (const auto& m : list) out.push_back(jinja::Value::from_json(m));
  return out;
}

ChatVars with_row_kwargs(const ChatVars& vars, const Conversation& c) {
  ChatVars v = vars;
  if (c.template_kwargs.is_object())
    for (const auto& [k, value] : c.template_kwargs.items()) v.extra.set(k, jinja::Value::from_json(value));
  return v;
}

std::string render(const ChatTemplate& t, const Json& list, const ChatVars& vars, bool generation_prompt,
                   const jinja::Value& tools = jinja::Value::none()) {
  return t.render(message_values(list), vars, generation_prompt, tools);
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'; }

std::string strip(const std::string& s, bool left, bool right) {
  size_t b = 0, e = s.size();
  while (left && b < e && is_space(s[b])) ++b;
  while (right && e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// transformers' continue_final_message: the rendering cut right after the last message's text.
std::string continue_final(const std::string& rendered, const Json& last) {
  if (!last.contains("content") || !last["content"].is_string())
    bad_field("prompt[-1].content", last.contains("content") ? last["content"] : Json(), "a string to continue");
  const std::string final_message = last["content"].get<std::string>();
  const std::string stripped = strip(final_message, true, true);
  const size_t at = rendered.rfind(stripped);
  if (at == std::string::npos) {
    Diagnostic d;
    d.key = "type";
    d.message = "the prompt's last (assistant) turn is continued, but its text does not appear in the chat template's "
                "rendering (transformers' continue_final_message)";
    d.found = "'" + stripped + "'";
    throw Error(d);
  }
  const std::string left = strip(final_message, true, false);
  const bool preserved = rendered.compare(at, left.size(), final_message) == 0 && left.size() == final_message.size();
  return rendered.substr(0, at + (preserved ? left.size() : stripped.size()));
}

// Python's "".join(takewhile(equal, zip(a, b))): the common prefix, on a UTF-8 character boundary.
std::string common_prefix(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  while (n > 0 && n < a.size() && (static_cast<unsigned char>(a[n]) & 0xC0) == 0x80) --n;
  return a.substr(0, n);
}

}  // namespace

bool is_conversational_preference(const Json& row) {
  if (!row.is_object()) return false;
  for (const char* key : {"prompt", "chosen", "rejected"})
    if (row.contains(key) && is_message_list(row[key])) return true;
  return false;
}

Conversation conversation_of(const Json& row) {
  Conversation c;
  const Json& chosen = messages(row, "chosen");
  const Json& rejected = messages(row, "rejected");
  if (row.contains("prompt")) {
    c.prompt = messages(row, "prompt");
    c.chosen = chosen;
    c.rejected = rejected;
  } else {  // extract_prompt: Python's loop variable ends at the last index when no turn differs
    const size_t n = std::min(chosen.size(), rejected.size());
    size_t idx = n == 0 ? 0 : n - 1;
    for (size_t i = 0; i < n; ++i) {
      if (chosen[i] != rejected[i]) {
        idx = i;
        break;
      }
    }
    c.prompt = slice(chosen, 0, idx);
    c.chosen = slice(chosen, idx, chosen.size());
    c.rejected = slice(rejected, idx, rejected.size());
  }
  for (auto [name, list] : {std::pair{"prompt", &c.prompt}, {"chosen", &c.chosen}, {"rejected", &c.rejected}}) {
    if (list->empty()) bad_field(name, *list, "at least one message (chosen and rejected differ after the prompt)");
  }
  if (row.contains("tools") && !row["tools"].is_null()) {
    const Json& t = row["tools"];
    c.tools = t.is_string() ? Json::parse(t.get<std::string>(), nullptr, false) : t;
    if (c.tools.is_discarded() || !c.tools.is_array()) bad_field("tools", t, "a list of tool schemas or its JSON text");
  }
  if (row.contains("chat_template_kwargs") && !row["chat_template_kwargs"].is_null()) {
    c.template_kwargs = row["chat_template_kwargs"];
    if (!c.template_kwargs.is_object()) bad_field("chat_template_kwargs", c.template_kwargs, "an object");
  }
  return c;
}

std::optional<PreferencePair> tokenize_conversation(const Tokenizer& tok, const Conversation& c,
                                                    const ChatTemplate& t, const ChatVars& vars, int max_length) {
  const ChatVars v = with_row_kwargs(vars, c);
  const jinja::Value tools = c.tools.is_array() ? jinja::Value::from_json(c.tools) : jinja::Value::none();
  auto ids = [&](const Json& list, bool generation_prompt) {
    return tok.encode(render(t, list, v, generation_prompt, tools), false, false);  // apply_chat_template(tokenize=True)
  };
  PreferencePair p;
  p.prompt = ids(c.prompt, true);
  if (max_length > 0 && static_cast<int64_t>(p.prompt.size()) >= max_length) return std::nullopt;
  auto completion = [&](const Json& reply) {
    const std::vector<int32_t> full = ids(concat(c.prompt, reply), false);
    if (full.size() <= p.prompt.size()) return std::vector<int32_t>{};
    return std::vector<int32_t>(full.begin() + static_cast<long>(p.prompt.size()), full.end());
  };
  p.chosen = completion(c.chosen);
  p.rejected = completion(c.rejected);
  return p;
}

PreferenceText render_conversation(const Conversation& c, const ChatTemplate& t, const ChatVars& vars) {
  const ChatVars v = with_row_kwargs(vars, c);
  const Json& last = c.prompt.back();
  const std::string role = last["role"].is_string() ? last["role"].get<std::string>() : "";
  if (role != "user" && role != "tool" && role != "assistant") {
    Diagnostic d;
    d.key = "type";
    d.message = "the prompt of a conversational preference row must end with a user, tool or assistant turn (TRL)";
    d.found = "'" + role + "'";
    throw Error(d);
  }
  std::string prompt = role == "assistant" ? continue_final(render(t, c.prompt, v, false), last)
                                           : render(t, c.prompt, v, true);
  const std::string chosen = render(t, concat(c.prompt, c.chosen), v, false);
  prompt = common_prefix(prompt, chosen);
  const std::string rejected = render(t, concat(c.prompt, c.rejected), v, false);
  prompt = common_prefix(prompt, rejected);
  return {prompt, chosen.substr(prompt.size()), rejected.substr(prompt.size())};
}

}  // namespace axolotl::data
