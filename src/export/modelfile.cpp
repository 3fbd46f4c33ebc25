// Ollama Modelfile (ollama docs/modelfile.md: FROM, TEMPLATE, PARAMETER stop/num_ctx/temperature).
// The Go templates are the forms Ollama's own library uses for these families.
#include "axolotl/export/modelfile.h"

#include <filesystem>

namespace axolotl::gguf {
namespace {

const char* const kChatml =
    "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";
const char* const kLlama3 =
    "{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n";
const char* const kMistral =
    "{{- range $i, $m := .Messages }}{{- if eq $m.Role \"user\" }}[INST] {{ if and (eq $i 0) $.System }}{{ $.System }}\n\n"
    "{{ end }}{{ $m.Content }} [/INST]{{- else if eq $m.Role \"assistant\" }} {{ $m.Content }}</s>{{- end }}{{- end }}";
const char* const kGemma =
    "{{- range .Messages }}<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}{{ .Role }}{{ end }}\n"
    "{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n";
// Axolotl's alpaca prompt (src/data/row_encoder.cpp), without input.
const char* const kAlpaca =
    "{{ if .System }}{{ .System }}{{ else }}Below is an instruction that describes a task. Write a response that "
    "appropriately completes the request.{{ end }}\n\n### Instruction:\n{{ .Prompt }}\n\n### Response:\n";

bool has(const std::string& s, const char* t) { return s.find(t) != std::string::npos; }

}  // namespace

std::string template_family(const ModelfileInput& in) {
  const std::string& t = in.chat_template;
  if (has(t, "<|im_start|>")) return "chatml";
  if (has(t, "<|start_header_id|>")) return "llama3";
  if (has(t, "<start_of_turn>")) return "gemma";
  if (has(t, "[INST]")) return "mistral";
  if (t.empty() && in.alpaca) return "alpaca";
  return "";
}

std::string modelfile_text(const ModelfileInput& in) {
  std::string out = "# Ollama Modelfile written by axolotl export. Use: ollama create NAME -f Modelfile\n";
  out += "FROM ./" + std::filesystem::path(in.gguf_file).filename().string() + "\n";
  const std::string family = template_family(in);
  const char* tmpl = family == "chatml" ? kChatml : family == "llama3" ? kLlama3 : family == "gemma" ? kGemma
                     : family == "mistral" ? kMistral : family == "alpaca" ? kAlpaca : nullptr;
  if (tmpl) {
    out += "TEMPLATE \"\"\"" + std::string(tmpl) + "\"\"\"\n";
  } else if (!in.chat_template.empty()) {
    out += "# the model's chat template is not a known family; Ollama reads tokenizer.chat_template from the GGUF\n";
  }
  std::vector<std::string> stops = in.stop_tokens;
  if (family == "alpaca") stops.push_back("### Instruction:");
  for (const auto& s : stops) {
    std::string esc;
    for (char c : s) esc += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    out += "PARAMETER stop \"" + esc + "\"\n";
  }
  out += "PARAMETER temperature 0\n";  // greedy, as `axolotl inference` by default
  if (in.num_ctx > 0) out += "PARAMETER num_ctx " + std::to_string(in.num_ctx) + "\n";
  return out;
}

}  // namespace axolotl::gguf
