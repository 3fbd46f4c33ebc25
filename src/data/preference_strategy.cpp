// DPO strategies by name (see preference_strategy.h). Strings: Axolotl prompt_strategies/dpo/chatml.py
// and llama3.py (the same six functions with the two turn syntaxes), user_defined.py, zephyr.py,
// passthrough.py; chat_template.py and orpo/chat_template.py through a chat template.
#include "axolotl/data/preference_strategy.h"

#include <algorithm>

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

// zephyr.py nectar: answers sorted by rank (a stable sort, ascending); chosen = the last, rejected = the
// one before it. (In the Nectar data rank 1 is the best answer, so this picks the two worst; as Axolotl.)
PreferenceText zephyr_nectar(const nlohmann::json& row) {
  const char* type = "zephyr.nectar";
  const std::string prompt = text(field(type, row, "prompt"));
  const auto& answers = field(type, row, "answers");
  if (!answers.is_array() || answers.size() < 2) missing(type, "answers as a list of two or more {answer, rank}");
  std::vector<const nlohmann::json*> sorted;
  for (const auto& a : answers) {
    if (!a.is_object() || !a.contains("rank") || !a["rank"].is_number() || !a.contains("answer") || !a["answer"].is_string())
      missing(type, "answers[].{answer (a string), rank (a number)}");
    sorted.push_back(&a);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["rank"].get<double>() < (*b)["rank"].get<double>();
  });
  PreferenceText out;
  out.prompt = "<|system|>\n</s>\n<|user|>\n" + prompt + "</s>\n<|assistant|>\n";
  out.chosen = sorted[sorted.size() - 1]->at("answer").get<std::string>();
  out.rejected = sorted[sorted.size() - 2]->at("answer").get<std::string>();
  return out;
}

// passthrough.py: the row's own prompt / chosen / rejected strings, which TRL then tokenizes. Message
// lists (TRL's conversational rows) are read by conversational_preference.h before this.
PreferenceText passthrough(const nlohmann::json& row) {
  PreferenceText out;
  for (auto [key, to] : {std::pair{"prompt", &out.prompt}, {"chosen", &out.chosen}, {"rejected", &out.rejected}}) {
    const auto& v = field("passthrough", row, key);
    if (!v.is_string()) {
      Diagnostic d;
      d.key = "type";
      d.message = "passthrough rows (and rows of a dataset without `type:` under rl) are read as strings";
      d.found = std::string(key) + " as JSON " + v.type_name();
      d.expected = "prompt, chosen and rejected strings";
      d.hint = "TRL's conversational rows are read too: prompt, chosen and rejected as lists of "
               "{role, content} messages";
      throw Error(d);
    }
    *to = v.get<std::string>();
  }
  return out;
}

}  // namespace

bool is_preference_type(const std::string& type) {
  static const char* kVariants[] = {"default", "intel", "icr", "prompt_pairs", "argilla_chat", "ultra"};
  if (type == "chatml" || type == "llama3" || type == "user_defined.default" || type == "chat_template.default" ||
      type == "chat_template.argilla" || type == "chat_template.argilla_chat" || type == "zephyr.nectar" ||
      type == "passthrough" || type == "passthrough.default")
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
  if (type == "zephyr.nectar") return zephyr_nectar(row);
  if (type == "passthrough" || type == "passthrough.default") return passthrough(row);
  if (!is_preference_type(type) || type.rfind("chat_template.", 0) == 0) {
    Diagnostic d;
    d.key = "type";
    d.message = "unknown preference dataset type";
    d.found = type;
    d.expected = "chatml.{default,intel,icr,prompt_pairs,argilla_chat,ultra}, llama3.<same>, zephyr.nectar, "
                 "passthrough or user_defined.default";
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

PreferenceText render_argilla_chat_preference(const nlohmann::json& row, const ChatPreference& c) {
  const char* type = "chat_template.argilla_chat";
  const auto& chosen = field(type, row, c.field_chosen);
  const auto& rejected = field(type, row, c.field_rejected);
  if (!chosen.is_array() || chosen.empty()) missing(type, c.field_chosen + " as a non-empty list of turns");
  if (!rejected.is_array() || rejected.empty()) missing(type, c.field_rejected + " as a non-empty list of turns");
  std::vector<Message> prompt;  // every turn of chosen but its last
  for (size_t i = 0; i + 1 < chosen.size(); ++i)
    prompt.push_back(message_of(c, chosen[i], c.field_chosen + "[" + std::to_string(i) + "]"));
  PreferenceText out;
  out.prompt = render_turns(c, prompt, true);
  out.chosen = reply_text(c, message_of(c, chosen.back(), c.field_chosen + "[-1]"));
  out.rejected = reply_text(c, message_of(c, rejected.back(), c.field_rejected + "[-1]"));
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
    // Python full[len(prompt):]: the prompt's length in code points, not bytes.
    size_t points = 0, at = 0;
    for (unsigned char ch : out.prompt) points += (ch & 0xC0) != 0x80;
    for (; at < full.size(); ++at)
      if ((static_cast<unsigned char>(full[at]) & 0xC0) != 0x80 && points-- == 0) break;
    return full.substr(at);
  };
  out.chosen = reply("chosen", chosen);
  out.rejected = reply("rejected", rejected);
  return out;
}

}  // namespace axolotl::data
