// Ollama Modelfile (ollama docs/modelfile.md: FROM, TEMPLATE, PARAMETER stop/num_ctx/temperature).
// The Go templates are the forms Ollama's own library uses for these families. Ollama (template.go
// collate) passes every system message both as .System and inside .Messages: a template that prints
// .System skips the "system" role in its range.
#include "axolotl/export/modelfile.h"

#include <algorithm>
#include <filesystem>

namespace axolotl::gguf {
namespace {

const char* const kChatml =
    "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{- range .Messages }}{{- if ne .Role \"system\" }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "{{- end }}<|im_start|>assistant\n";
const char* const kLlama3 =
    "{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
    "{{- range .Messages }}{{- if ne .Role \"system\" }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}{{- end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n";
// The system text opens the first user turn (a system message is .Messages[0], so not "index 0").
const char* const kMistral =
    "{{- $first := true }}{{- range .Messages }}{{- if eq .Role \"user\" }}[INST] {{ if and $first $.System }}"
    "{{ $.System }}\n\n{{ end }}{{ .Content }} [/INST]{{ $first = false }}"
    "{{- else if eq .Role \"assistant\" }} {{ .Content }}</s>{{- end }}{{- end }}";
// Gemma has no system role: its chat template puts the system text at the top of the first user turn.
const char* const kGemma =
    "{{- $sys := \"\" }}{{- range .Messages }}{{- if eq .Role \"system\" }}{{ $sys = .Content }}{{- end }}{{- end }}"
    "{{- $first := true }}{{- range .Messages }}{{- if eq .Role \"user\" }}<start_of_turn>user\n"
    "{{ if and $first $sys }}{{ $sys }}\n\n{{ end }}{{ .Content }}<end_of_turn>\n{{ $first = false }}"
    "{{- else if eq .Role \"assistant\" }}<start_of_turn>model\n{{ .Content }}<end_of_turn>\n{{ end }}{{ end }}"
    "<start_of_turn>model\n";
// Phi-3: <|system|>, <|user|>, <|assistant|> turns, each closed by <|end|>.
const char* const kPhi3 =
    "{{- range .Messages }}<|{{ .Role }}|>\n{{ .Content }}<|end|>\n{{ end }}<|assistant|>\n";
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
  if (has(t, "<|user|>") && has(t, "<|end|>")) return "phi3";
  if (has(t, "[INST]")) return "mistral";
  if (t.empty() && in.alpaca) return "alpaca";
  return "";
}

std::string modelfile_text(const ModelfileInput& in) {
  std::string out = "# Ollama Modelfile written by axolotl export. Use: ollama create NAME -f Modelfile\n";
  out += "FROM ./" + std::filesystem::path(in.gguf_file).filename().string() + "\n";
  const std::string family = template_family(in);
  const char* tmpl = family == "chatml" ? kChatml : family == "llama3" ? kLlama3 : family == "gemma" ? kGemma
                     : family == "mistral" ? kMistral : family == "phi3" ? kPhi3 : family == "alpaca" ? kAlpaca
                                                                                                       : nullptr;
  if (tmpl) {
    out += "TEMPLATE \"\"\"" + std::string(tmpl) + "\"\"\"\n";
  } else if (!in.chat_template.empty()) {
    out += "# the model's chat template is not a known family; Ollama reads tokenizer.chat_template from the GGUF\n";
  }
  std::vector<std::string> stops = in.stop_tokens;
  // The turn markers Ollama's own library stops on for these families, after the model's stop tokens.
  std::vector<std::string> extra;
  if (family == "alpaca") extra = {"### Instruction:"};
  if (family == "chatml") extra = {"<|im_end|>", "<|im_start|>"};
  if (family == "gemma") extra = {"<end_of_turn>"};
  if (family == "phi3") extra = {"<|end|>", "<|user|>", "<|assistant|>"};
  for (const auto& e : extra) {
    if (std::find(stops.begin(), stops.end(), e) == stops.end()) stops.push_back(e);
  }
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
