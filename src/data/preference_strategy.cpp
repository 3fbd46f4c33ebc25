// DPO strategies by name (see preference_strategy.h). Strings: Axolotl prompt_strategies/dpo/chatml.py
// and llama3.py (the same six functions with the two turn syntaxes), user_defined.py.
#include "axolotl/data/preference_strategy.h"

#include "axolotl/util/error.h"
#include "named_format.h"
#include "turn_syntax.h"

namespace axolotl::data {
namespace {

[[noreturn]] void missing(const std::string& type, const std::string& field) {
  Diagnostic d;
  d.key = "type";
  d.message = "a row lacks a field the dataset type " + type + " reads";
  d.found = "no '" + field + "'";
  d.expected = "every row to have '" + field + "'";
  throw Error(d);
}

// Python's f"{value}": strings as they are, other JSON as its text.
std::string text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

const nlohmann::json& field(const std::string& type, const nlohmann::json& row, const std::string& name) {
  if (!row.is_object() || !row.contains(name)) missing(type, name);
  return row[name];
}

// sample[name][i]["content"] (argilla_chat / ultra message lists).
std::string content(const std::string& type, const nlohmann::json& row, const std::string& name, size_t i) {
  const auto& list = field(type, row, name);
  if (!list.is_array() || list.size() <= i || !list[i].is_object() || !list[i].contains("content"))
    missing(type, name + "[" + std::to_string(i) + "].content");
  return text(list[i]["content"]);
}

// Python truthiness of sample["system"] for a present key.
bool has_system(const nlohmann::json& row) {
  if (!row.contains("system")) return false;
  const auto& s = row["system"];
  return !(s.is_null() || (s.is_string() && s.get<std::string>().empty()) || (s.is_boolean() && !s.get<bool>()));
}

std::string prompt_of(const TurnSyntax& t, const nlohmann::json& row, const std::string& user, bool system) {
  std::string p;
  if (system && has_system(row)) p += std::string(t.system_open) + text(row["system"]) + t.end + t.sep;
  return p + t.user_open + user + t.end + t.sep + t.assistant_open;
}

std::string format(const std::string& fmt, const std::string& name, const std::string& value,
                   const std::string& name2 = "", const std::string& value2 = "") {
  if (name2.empty()) return named_format(fmt, {{name, value}});
  return named_format(fmt, {{name, value}, {name2, value2}});
}

}  // namespace

bool is_preference_type(const std::string& type) {
  static const char* kVariants[] = {"default", "intel", "icr", "prompt_pairs", "argilla_chat", "ultra"};
  if (type == "chatml" || type == "llama3" || type == "user_defined.default" || type == "chat_template.default" ||
      type == "chat_template.argilla")
    return true;
  for (const char* prefix : {"chatml.", "llama3."}) {
    if (type.rfind(prefix, 0) != 0) continue;
    const std::string v = type.substr(std::string(prefix).size());
    for (const char* k : kVariants)
      if (v == k) return true;
  }
  return false;
}

PreferenceText render_preference(const std::string& type, const nlohmann::json& row, const UserDefinedPreference& user) {
  if (type == "user_defined.default") {
    PreferenceText out;
    const std::string prompt = text(field(type, row, user.field_prompt));
    if (user.prompt_format.find("{system}") != std::string::npos) {
      const bool has = row.contains(user.field_system) && !row[user.field_system].is_null();
      const std::string system = has ? text(row[user.field_system]) : "";
      out.prompt = format(user.prompt_format, "system", system, "prompt", prompt);
    } else {
      out.prompt = format(user.prompt_format, "prompt", prompt);
    }
    out.chosen = format(user.chosen_format, "chosen", text(field(type, row, user.field_chosen)));
    out.rejected = format(user.rejected_format, "rejected", text(field(type, row, user.field_rejected)));
    return out;
  }
  if (!is_preference_type(type) || type.rfind("chat_template.", 0) == 0) {
    Diagnostic d;
    d.key = "type";
    d.message = "unknown preference dataset type";
    d.found = type;
    d.expected = "chatml.{default,intel,icr,prompt_pairs,argilla_chat,ultra}, llama3.<same> or user_defined.default";
    if (type == "chatml.argilla" || type == "llama3.argilla")
      d.hint = "Axolotl renamed this DPO strategy to " + type.substr(0, type.find('.')) + ".default in 2025-01";
    throw Error(d);
  }
  const bool llama3 = type.rfind("llama3", 0) == 0;
  const TurnSyntax& t = llama3 ? kLlama3Turns : kChatmlTurns;
  const size_t dot = type.find('.');
  const std::string v = dot == std::string::npos ? "default" : type.substr(dot + 1);
  PreferenceText out;
  std::string chosen, rejected;
  if (v == "argilla_chat") {
    out.prompt = prompt_of(t, row, content(type, row, "chosen", 0), false);
    chosen = content(type, row, "chosen", 1);
    rejected = content(type, row, "rejected", 1);
  } else if (v == "ultra") {
    out.prompt = prompt_of(t, row, text(field(type, row, "prompt")), true);
    chosen = content(type, row, "chosen", 1);
    rejected = content(type, row, "rejected", 1);
  } else {
    std::string pk = v == "intel" ? "question" : v == "icr" ? "input" : "prompt";
    std::string ck = "chosen", rk = "rejected";
    if (v == "default") {  // the first key present, as `in sample.keys()`
      pk = row.contains("prompt") ? "prompt" : row.contains("input") ? "input" : row.contains("question") ? "question" : "instruction";
      if (!row.contains("chosen")) ck = "chosen_response";
      if (!row.contains("rejected")) rk = "rejected_response";
    }
    out.prompt = prompt_of(t, row, text(field(type, row, pk)), true);
    chosen = text(field(type, row, ck));
    rejected = text(field(type, row, rk));
  }
  out.chosen = chosen + t.end;
  out.rejected = rejected + t.end;
  return out;
}

namespace {

// The one place chat_template.* strategies render turns (to switch to the Jinja engine later).
std::string render_turns(const ChatPreference& c, const std::vector<Message>& messages, bool generation_prompt) {
  if (!c.chat_template) throw Error("internal: a chat preference strategy without a chat template");
  return c.chat_template->render(messages, c.vars, generation_prompt);
}

// Python str.rstrip() for the ASCII whitespace it strips.
std::string rstrip(std::string s) {
  while (!s.empty() && (s.back() == ' ' || (s.back() >= '\t' && s.back() <= '\r') || (s.back() >= '\x1c' && s.back() <= '\x1f')))
    s.pop_back();
  return s;
}

std::string mapped(const ChatPreference& c, const char* property) {
  auto it = c.property_mappings.find(property);
  return it == c.property_mappings.end() ? property : it->second;
}

std::string target_role(const ChatPreference& c, const std::string& source) {
  if (c.roles.empty()) {
    for (const char* r : {"user", "assistant", "system", "tool"})
      if (source == r) return source;
  }
  for (const auto& [target, sources] : c.roles)
    for (const auto& s : sources)
      if (s == source) return target;
  Diagnostic d;
  d.key = "roles";
  d.message = "a turn's role is not in the dataset's roles mapping";
  d.found = "'" + source + "'";
  d.expected = "a spelling listed under roles: (user, assistant, system, tool by default)";
  throw Error(d);
}

Message message_of(const ChatPreference& c, const nlohmann::json& m, const std::string& where) {
  const std::string rk = mapped(c, "role"), ck = mapped(c, "content");
  if (!m.is_object() || !m.contains(rk) || !m.contains(ck)) missing("chat_template.default", where + "." + (m.contains(rk) ? ck : rk));
  return {target_role(c, text(m[rk])), text(m[ck])};
}

// chosen / rejected: a string (an assistant reply), a message, or a list (its last message).
Message reply_of(const ChatPreference& c, const nlohmann::json& row, const std::string& key) {
  const auto& v = field("chat_template.default", row, key);
  if (v.is_string()) return {target_role(c, "assistant"), v.get<std::string>()};
  if (v.is_array()) {
    if (v.empty()) missing("chat_template.default", key + "[-1]");
    return message_of(c, v.back(), key + "[-1]");
  }
  return message_of(c, v, key);
}

std::string reply_text(const ChatPreference& c, const Message& reply) {
  const std::string full = render_turns(c, {{"user", "[[dummy_message]]"}, reply}, false);
  size_t at = full.find(reply.content);
  if (at == std::string::npos) at = full.empty() ? 0 : full.size() - 1;  // Python find() = -1: the last char
  return rstrip(full.substr(at));
}

}  // namespace

PreferenceText render_chat_preference(const nlohmann::json& row, const ChatPreference& c) {
  std::vector<Message> messages;
  const auto& m = field("chat_template.default", row, c.field_messages);
  if (m.is_string()) {
    messages.push_back({target_role(c, "user"), m.get<std::string>()});
  } else if (m.is_array()) {
    for (size_t i = 0; i < m.size(); ++i) messages.push_back(message_of(c, m[i], c.field_messages + "[" + std::to_string(i) + "]"));
  } else {
    missing("chat_template.default", c.field_messages + " as a list of turns");
  }
  PreferenceText out;
  out.prompt = render_turns(c, messages, true);
  out.chosen = reply_text(c, reply_of(c, row, c.field_chosen));
  out.rejected = reply_text(c, reply_of(c, row, c.field_rejected));
  return out;
}

PreferenceText render_orpo_argilla(const nlohmann::json& row, const ChatPreference& c) {
  const char* type = "chat_template.argilla";
  const auto& chosen = field(type, row, "chosen");
  const auto& rejected = field(type, row, "rejected");
  if (!chosen.is_array() || chosen.size() % 2 != 0 || chosen.empty()) missing(type, "chosen as an even number of turns");
  if (!rejected.is_array() || rejected.empty()) missing(type, "rejected as a list of turns");
  std::vector<Message> prompt;
  if (has_system(row)) prompt.push_back({"system", text(row["system"])});
  const size_t turns = chosen.size() / 2;
  for (size_t i = 0; i < turns; ++i) {
    prompt.push_back({"user", row.contains("prompt") ? text(row["prompt"]) : content(type, row, "chosen", 2 * i)});
    if (i + 1 < turns) prompt.push_back({"assistant", content(type, row, "chosen", 2 * i + 1)});
  }
  PreferenceText out;
  out.prompt = render_turns(c, prompt, true);
  auto reply = [&](const char* key, const nlohmann::json& list) {
    std::vector<Message> m = prompt;
    m.push_back({"assistant", content(type, row, key, list.size() - 1)});
    const std::string full = render_turns(c, m, false);
    return full.size() > out.prompt.size() ? full.substr(out.prompt.size()) : std::string();
  };
  out.chosen = reply("chosen", chosen);
  out.rejected = reply("rejected", rejected);
  return out;
}

}  // namespace axolotl::data
