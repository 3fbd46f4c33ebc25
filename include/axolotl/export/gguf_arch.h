// What differs per architecture when writing GGUF (llama.cpp convert_hf_to_gguf.py: LlamaModel, Qwen2Model,
// Qwen3Model, Gemma2Model, Gemma3Model, Phi3MiniModel; src/llama-arch.cpp, src/llama-model.cpp): the arch
// name, the tensor transforms, and the hyper-parameter keys (arch_metadata.h). A table, one row per arch.
#pragma once

#include <string>
#include <vector>

namespace axolotl::gguf {

struct ArchTraits {
  const char* name;                     // general.architecture
  std::vector<std::string> hf_classes;  // config.json "architectures" entries served
  bool permute_qk;                      // rope type NORM in llama.cpp: HF rotate-half rows permuted (llama only)
  bool sandwich_norms;                  // Gemma-2/3: post_attention_norm, ffn_norm (pre-FFN), post_ffw_norm
  float norm_shift;                     // added to every "*norm.weight" (Gemma stores w, runs with 1 + w)
  bool skip_lm_head;                    // Gemma-2's converter drops lm_head.weight (llama.cpp ties the output)
  bool spm_no_space_prefix;             // Gemma: tokenizer.ggml.add_space_prefix = false for tokenizer.model
  bool spm_added_from_tokenizer_json;   // Phi-3: tokenizer.json added_tokens also go into the SPM vocabulary
  bool trim_token_embd;                 // Gemma-3: token_embd cut to the tokenizer's count (OOV rows removed)
};

// The row for a config.json architecture class; Error with the known classes otherwise.
const ArchTraits& arch_for_class(const std::string& hf_class);
const ArchTraits* arch_by_name(const std::string& name);  // nullptr when unknown

}  // namespace axolotl::gguf
