// The architecture table (llama.cpp convert_hf_to_gguf.py: LlamaModel serves both LlamaForCausalLM and
// MistralForCausalLM under arch "llama"; Qwen2Model, Qwen3Model, Gemma2Model, Gemma3Model, Phi3MiniModel;
// src/llama-model.cpp llama_model_rope_type: only llama is NORM, the others NEOX, so no Q/K permutation).
#include "axolotl/export/gguf_arch.h"

#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

const std::vector<ArchTraits>& table() {
  static const std::vector<ArchTraits> kTable = {
      // name, classes, permute_qk, sandwich_norms, norm_shift, skip_lm_head, spm_no_space_prefix, spm_added_json,
      // trim_token_embd. A multimodal Gemma3ForConditionalGeneration reaches "gemma3" as its text tower
      // (model::load_llama_config), as convert_hf_to_gguf registers Gemma3Model for both classes.
      {"llama", {"LlamaForCausalLM", "MistralForCausalLM"}, true, false, 0.f, false, false, false, false},
      {"qwen2", {"Qwen2ForCausalLM"}, false, false, 0.f, false, false, false, false},
      {"qwen3", {"Qwen3ForCausalLM"}, false, false, 0.f, false, false, false, false},
      {"gemma2", {"Gemma2ForCausalLM"}, false, true, 1.f, true, true, false, false},
      {"gemma3", {"Gemma3ForCausalLM"}, false, true, 1.f, false, true, false, true},
      {"phi3", {"Phi3ForCausalLM"}, false, false, 0.f, false, false, true, false},
  };
  return kTable;
}

}  // namespace

const ArchTraits& arch_for_class(const std::string& hf_class) {
  std::string known;
  for (const auto& row : table()) {
    for (const auto& c : row.hf_classes) {
      if (c == hf_class) return row;
      known += (known.empty() ? "" : ", ") + c;
    }
  }
  const bool classifier = hf_class.find("ForSequenceClassification") != std::string::npos ||
                          hf_class.find("ForTokenClassification") != std::string::npos;
  throw Error(Diagnostic{{}, "architectures", classifier ? "a classifier (reward model) has no GGUF form: "
                                                           "llama.cpp runs causal language models"
                                                         : "no GGUF export for this architecture yet",
                         hf_class, known, classifier ? "score it with transformers (AutoModelFor{Sequence,Token}Classification)" : ""});
}

const ArchTraits* arch_by_name(const std::string& name) {
  for (const auto& row : table()) {
    if (name == row.name) return &row;
  }
  return nullptr;
}

}  // namespace axolotl::gguf
