// What differs per architecture when writing GGUF: the llama.cpp arch name, whether the Q/K rows get
// the llama permutation, and which hyper-parameter keys are written (FORMATS2.md §3.4, §3.6).
// A table: rows for qwen2/qwen3/gemma2/gemma3/phi3 are added beside llama as those families land.
#pragma once

#include <string>
#include <vector>

namespace axolotl::gguf {

struct ArchTraits {
  const char* name;                       // general.architecture
  std::vector<std::string> hf_classes;    // config.json "architectures" entries served
  bool permute_qk;                        // rope type NORM in llama.cpp: HF rotate-half rows permuted
  bool write_key_value_length;            // <arch>.attention.key_length/value_length when head_dim is set
};

// The row for a config.json architecture class; Error with the known classes otherwise.
const ArchTraits& arch_for_class(const std::string& hf_class);
const ArchTraits* arch_by_name(const std::string& name);  // nullptr when unknown

}  // namespace axolotl::gguf
