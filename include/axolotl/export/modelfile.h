// The Ollama Modelfile written beside a GGUF export (`--ollama`): FROM the file, the chat template
// in Ollama's Go-template form when the model's Jinja template is a known family (ChatML, Llama-3,
// Mistral/Llama-2 [INST], Gemma) or the run trained on alpaca prompts, stop tokens, default parameters.
#pragma once

#include <string>
#include <vector>

namespace axolotl::gguf {

struct ModelfileInput {
  std::string gguf_file;                 // referenced as ./<file name> (the Modelfile sits beside it)
  std::string chat_template;             // the model's Jinja template (tokenizer.chat_template), may be empty
  bool alpaca = false;                   // no chat template, trained on alpaca prompts
  std::vector<std::string> stop_tokens;
  int num_ctx = 0;                       // 0: not written
};

// The template family found ("chatml", "llama3", "mistral", "gemma", "alpaca") or "" for none.
std::string template_family(const ModelfileInput& in);

std::string modelfile_text(const ModelfileInput& in);

}  // namespace axolotl::gguf
