// Chat template rendering. Sources: Axolotl templates chatml.jinja, llama3.jinja, alpaca.jinja,
// mistral_v1.jinja; Llama-2 HF chat_template (FORMATS.md §9.2–9.4). Jinja drops the file's final
// newline (keep_trailing_newline=False), so none is emitted here.
#include "axolotl/data/chat_template.h"

#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

std::string strip(const std::string& s) {  // Python str.strip() over ASCII whitespace
  const char* ws = " \t\n\r\f\v";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

[[noreturn]] void reject(const std::string& message) { throw Error(message); }

void check_alternating(const std::vector<Message>& loop) {
  for (size_t i = 0; i < loop.size(); ++i) {
    if ((loop[i].role == "user") != (i % 2 == 0)) {
      reject("Conversation roles must alternate user/assistant/user/assistant/...");
    }
  }
}

std::string render_llama2(const std::vector<Message>& messages, const std::string& bos, const std::string& eos) {
  std::vector<Message> loop = messages;
  std::string system;
  bool has_system = !loop.empty() && loop[0].role == "system";
  if (has_system) {
    system = loop[0].content;
    loop.erase(loop.begin());
  }
  check_alternating(loop);
  std::string out;
  for (size_t i = 0; i < loop.size(); ++i) {
    std::string content = loop[i].content;
    if (i == 0 && has_system) content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
    if (loop[i].role == "user") out += bos + "[INST] " + strip(content) + " [/INST]";
    else if (loop[i].role == "assistant") out += " " + strip(content) + " " + eos;
  }
  return out;
}

}  // namespace

ChatTemplate parse_chat_template(const std::string& name) {
  if (name == "chatml") return ChatTemplate::kChatml;
  if (name == "llama2" || name == "llama2_chat") return ChatTemplate::kLlama2;
  if (name == "llama3") return ChatTemplate::kLlama3;
  if (name == "mistral" || name == "mistral_v1") return ChatTemplate::kMistral;
  if (name == "alpaca") return ChatTemplate::kAlpaca;
  Diagnostic d;
  d.key = "chat_template";
  d.message = "unknown chat template";
  d.found = name;
  d.expected = "chatml, llama2, llama3, mistral, alpaca or tokenizer_default";
  throw ConfigError({d});
}

const char* chat_template_name(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::kChatml: return "chatml";
    case ChatTemplate::kLlama2: return "llama2";
    case ChatTemplate::kLlama3: return "llama3";
    case ChatTemplate::kMistral: return "mistral";
    case ChatTemplate::kAlpaca: return "alpaca";
  }
  return "?";
}

bool recognise_chat_template(const std::string& jinja, ChatTemplate& out) {
  auto has = [&](const char* s) { return jinja.find(s) != std::string::npos; };
  if (has("<|im_start|>")) out = ChatTemplate::kChatml;
  else if (has("<|start_header_id|>")) out = ChatTemplate::kLlama3;
  else if (has("<<SYS>>")) out = ChatTemplate::kLlama2;
  else if (has("[INST]")) out = ChatTemplate::kMistral;
  else if (has("### Instruction")) out = ChatTemplate::kAlpaca;
  else return false;
  return true;
}

std::string render_chat(ChatTemplate t, const std::vector<Message>& messages, const std::string& bos,
                        const std::string& eos, bool add_generation_prompt) {
  std::string out;
  switch (t) {
    case ChatTemplate::kChatml:
      for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      return out;
    case ChatTemplate::kLlama3:
      for (size_t i = 0; i < messages.size(); ++i) {
        if (i == 0) out += bos;
        out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n" + strip(messages[i].content) +
               "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    case ChatTemplate::kLlama2:
      return render_llama2(messages, bos, eos);
    case ChatTemplate::kMistral:
      out = bos;
      check_alternating(messages);
      for (const auto& m : messages) {
        if (m.role == "user") out += " [INST] " + m.content + " [/INST]";
        else if (m.role == "assistant") out += " " + m.content + eos;
        else reject("Only user and assistant roles are supported!");
      }
      return out;
    case ChatTemplate::kAlpaca:
      out = bos;
      for (size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        if (m.role == "system" && i == 0) out += m.content;
        else if (m.role == "user") out += "### Instruction:\n" + m.content;
        else if (m.role == "assistant") out += "### Response:\n" + m.content + eos;
        if (i + 1 < messages.size()) out += "\n\n";
      }
      if (add_generation_prompt) out += "\n\n### Response:\n";
      return out;
  }
  return out;
}

}  // namespace axolotl::data
