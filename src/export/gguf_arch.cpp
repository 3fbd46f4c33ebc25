// The architecture table (llama.cpp convert_hf_to_gguf.py: LlamaModel serves both LlamaForCausalLM
// and MistralForCausalLM under arch "llama"; src/llama-model.cpp llama_model_rope_type).
#include "axolotl/export/gguf_arch.h"

#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

const std::vector<ArchTraits>& table() {
  static const std::vector<ArchTraits> kTable = {
      {"llama", {"LlamaForCausalLM", "MistralForCausalLM"}, true, true},
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
  throw Error(Diagnostic{{}, "architectures", "no GGUF export for this architecture yet", hf_class, known, {}});
}

const ArchTraits* arch_by_name(const std::string& name) {
  for (const auto& row : table()) {
    if (name == row.name) return &row;
  }
  return nullptr;
}

}  // namespace axolotl::gguf
