// Chat templates as Jinja text rendered by our engine (data/jinja): Axolotl's named templates
// (our own text, src/data/chat_templates/*.jinja, rendering identically to Axolotl's), the model's
// own from tokenizer_config.json, or user text. Parsed once; render() is called per row and turn.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "axolotl/data/jinja/template.h"

namespace axolotl::data {

struct Message {
  std::string role;     // system | user | assistant | tool (after role mapping)
  std::string content;
};

// The variables transformers passes besides messages: the special-token spellings (an empty one is
// left out, as special_tokens_map omits unset tokens) and extra keyword arguments.
struct ChatVars {
  std::string bos_token, eos_token, pad_token, unk_token;
  jinja::Dict extra;  // e.g. enable_thinking, real_last_index, date_string
};

class ChatTemplate {
 public:
  // Throws Error (line, column, construct) when `source` is outside the supported Jinja subset.
  ChatTemplate(std::string name, const std::string& source);

  const std::string& name() const { return name_; }  // "chatml", "tokenizer_default", "jinja", ...
  const std::string& source() const { return template_.source(); }

  // apply_chat_template(messages, tools=None, documents=None, add_generation_prompt, **vars).
  std::string render(const jinja::List& messages, const ChatVars& vars, bool add_generation_prompt = false,
                     const jinja::Value& tools = jinja::Value::none()) const;
  std::string render(const std::vector<Message>& messages, const ChatVars& vars,
                     bool add_generation_prompt = false) const;

 private:
  std::string name_;
  jinja::Template template_;
};

// The template variables of a chat_template_kwargs JSON object's text (keys in its order), as
// apply_chat_template's **kwargs; empty text gives none. Throws ConfigError naming `key` when the text
// is not a JSON object.
jinja::Dict chat_template_kwargs(const std::string& json_text, const std::string& key = "chat_template_kwargs");

// Names of Axolotl's bundled templates we carry (chatml, llama3, qwen_25, qwen3, gemma, gemma3, phi_3,
// phi_4, mistral_v1, mistral_v2v3, mistral_v3_tekken, alpaca) plus llama2.
std::vector<std::string> named_chat_templates();
// The Jinja text of a named template; nullopt when unknown. "mistral" is an alias of mistral_v1.
std::optional<std::string> named_chat_template_source(const std::string& name);

// The chat_template section of tokenizer_config.json in `tokenizer_dir` (string form, or the
// "default" entry of the named-list form); nullopt when absent.
std::optional<std::string> tokenizer_chat_template(const std::string& tokenizer_dir);

// Axolotl's get_chat_template: `choice` is tokenizer_default (or empty), tokenizer_default_fallback_<name>,
// jinja (with `jinja_text`: inline text or a file path) or a named template. Throws ConfigError
// naming `key` on an unknown name or a missing template.
ChatTemplate resolve_chat_template(const std::string& choice, const std::string& jinja_text,
                                   const std::string& tokenizer_dir, const std::string& key = "chat_template");

}  // namespace axolotl::data
