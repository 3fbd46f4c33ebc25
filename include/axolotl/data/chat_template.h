// Built-in chat templates rendered in C++ (no Jinja): chatml, llama2, llama3, mistral (v1), alpaca.
// Strings follow FORMATS.md §9 and Axolotl's templates/*.jinja; a tokenizer's own Jinja template is
// only recognised by name markers, never interpreted.
#pragma once

#include <string>
#include <vector>

namespace axolotl::data {

enum class ChatTemplate { kChatml, kLlama2, kLlama3, kMistral, kAlpaca };

struct Message {
  std::string role;     // system | user | assistant | tool (after role mapping)
  std::string content;
};

// "chatml" | "llama2" | "llama3" | "mistral" | "mistral_v1" | "alpaca"; throws ConfigError otherwise.
ChatTemplate parse_chat_template(const std::string& name);
const char* chat_template_name(ChatTemplate t);

// Maps a tokenizer_config.json `chat_template` Jinja string to a built-in by its markers
// ("<|im_start|>", "<|start_header_id|>", "<<SYS>>", "[INST]", "### Instruction"); false if unknown.
bool recognise_chat_template(const std::string& jinja, ChatTemplate& out);

// Renders `messages` as the template's Jinja would (bos/eos are the token spellings, e.g. "<s>").
// Throws Error on a conversation the template rejects (roles not alternating, unsupported role).
std::string render_chat(ChatTemplate t, const std::vector<Message>& messages, const std::string& bos,
                        const std::string& eos, bool add_generation_prompt = false);

}  // namespace axolotl::data
