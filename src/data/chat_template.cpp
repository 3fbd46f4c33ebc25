// Chat templates (see chat_template.h). Template choice follows Axolotl's
// src/axolotl/utils/chat_templates/base.py (get_chat_template); variables follow transformers'
// apply_chat_template (FORMATS2.md §2.1).
#include "axolotl/data/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "chat_template_texts.h"

namespace axolotl::data {

namespace {

[[noreturn]] void config_error(const std::string& key, const std::string& message, const std::string& found,
                               const std::string& expected, const std::string& hint = "") {
  Diagnostic d;
  d.key = key;
  d.message = message;
  d.found = found;
  d.expected = expected;
  d.hint = hint;
  throw ConfigError({d});
}

std::string names_list() {
  std::string out;
  for (const auto& n : named_chat_templates()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ChatTemplate::ChatTemplate(std::string name, const std::string& source)
    : name_(std::move(name)), template_(source, "chat_template " + name_) {}

std::string ChatTemplate::render(const jinja::List& messages, const ChatVars& vars, bool add_generation_prompt,
                                 const jinja::Value& tools) const {
  jinja::Dict d;
  d.items.reserve(8 + vars.extra.items.size());
  auto special = [&](const char* k, const std::string& v) {
    if (!v.empty()) d.items.emplace_back(k, jinja::Value(v));
  };
  special("bos_token", vars.bos_token);
  special("eos_token", vars.eos_token);
  special("unk_token", vars.unk_token);
  special("pad_token", vars.pad_token);
  d.set("messages", jinja::Value(messages));
  d.set("tools", tools);
  d.set("documents", jinja::Value::none());
  d.set("add_generation_prompt", jinja::Value(add_generation_prompt));
  for (const auto& kv : vars.extra.items) d.set(kv.first, kv.second);  // kwargs win
  return template_.render(d);
}

std::string ChatTemplate::render(const std::vector<Message>& messages, const ChatVars& vars,
                                 bool add_generation_prompt) const {
  jinja::List list;
  list.reserve(messages.size());
  for (const auto& m : messages) {
    jinja::Dict d;
    d.items.emplace_back("role", jinja::Value(m.role));
    d.items.emplace_back("content", jinja::Value(m.content));
    list.emplace_back(std::move(d));
  }
  return render(list, vars, add_generation_prompt);
}

jinja::Dict chat_template_kwargs(const std::string& json_text, const std::string& key) {
  jinja::Dict out;
  if (json_text.empty()) return out;
  auto j = nlohmann::ordered_json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    config_error(key, "not a JSON object of template variables", json_text, "e.g. {\"enable_thinking\": false}");
  }
  for (auto it = j.begin(); it != j.end(); ++it) out.set(it.key(), jinja::Value::from_json(it.value()));
  return out;
}

std::vector<std::string> named_chat_templates() {
  std::vector<std::string> out;
  for (const auto& t : kChatTemplateTexts) out.emplace_back(t.name);
  return out;
}

std::optional<std::string> named_chat_template_source(const std::string& name) {
  std::string n = name == "mistral" ? "mistral_v1" : name;
  for (const auto& t : kChatTemplateTexts) {
    if (n == t.name) return std::string(t.text);
  }
  return std::nullopt;
}

std::optional<std::string> tokenizer_chat_template(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  namespace fs = std::filesystem;
  fs::path folder = fs::is_regular_file(dir) ? fs::path(dir).parent_path() : fs::path(dir);
  std::ifstream in(folder / "tokenizer_config.json");
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("chat_template")) return std::nullopt;
  const auto& ct = j["chat_template"];
  if (ct.is_string()) return ct.get<std::string>();
  if (ct.is_array()) {  // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
    for (const auto& e : ct) {
      if (e.is_object() && e.value("name", "") == "default" && e.contains("template") && e["template"].is_string()) {
        return e["template"].get<std::string>();
      }
    }
  }
  return std::nullopt;
}

ChatTemplate resolve_chat_template(const std::string& choice_in, const std::string& jinja_text,
                                   const std::string& tokenizer_dir, const std::string& key) {
  const std::string kFallback = "tokenizer_default_fallback_";
  std::string choice = choice_in.empty() ? "tokenizer_default" : choice_in;
  if (choice == "jinja") {
    if (jinja_text.empty()) {
      config_error("chat_template_jinja", "chat_template: jinja needs the template text", "", "inline Jinja or a file path");
    }
    std::error_code ec;
    if (jinja_text.find("{%") == std::string::npos && jinja_text.find("{{") == std::string::npos &&
        std::filesystem::is_regular_file(jinja_text, ec)) {
      std::ifstream f(jinja_text);
      std::stringstream ss;
      ss << f.rdbuf();
      return ChatTemplate("jinja", ss.str());
    }
    return ChatTemplate("jinja", jinja_text);
  }
  if (choice == "tokenizer_default" || choice.rfind(kFallback, 0) == 0) {
    auto own = tokenizer_chat_template(tokenizer_dir);
    if (own) return ChatTemplate("tokenizer_default", *own);
    if (choice == "tokenizer_default") {
      config_error(key, "chat_template is tokenizer_default but the tokenizer has no chat_template",
                   tokenizer_dir.empty() ? "no tokenizer folder" : tokenizer_dir + "/tokenizer_config.json",
                   "a chat_template entry", "set chat_template to one of " + names_list() + ", or jinja");
    }
    choice = choice.substr(kFallback.size());
    log::warn("data", "no chat template found on the tokenizer, falling back to {}; consider train_on_inputs: true "
                      "for the model to learn this template", choice);
  }
  auto src = named_chat_template_source(choice);
  if (!src) config_error(key, "unknown chat template", choice, names_list() + ", tokenizer_default, jinja");
  return ChatTemplate(choice == "mistral" ? "mistral_v1" : choice, *src);
}

}  // namespace axolotl::data
