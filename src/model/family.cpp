// The family traits table (FORMATS2.md §5; transformers models/{llama,mistral,qwen2,qwen3,gemma2,gemma3,
// phi3}/configuration_*.py and modeling_*.py) and the refusals of architectures the decoder does not serve.
#include "axolotl/model/family.h"

#include <utility>

namespace axolotl::model {
namespace {

// architecture, model_type, name, qkv_bias, qk_norm, (1+w), embed_scale, sandwich, fused_qkv, fused_gate_up,
// hidden_act, tie_word_embeddings
const FamilyTraits kFamilies[] = {
    {"LlamaForCausalLM", "llama", "LLaMA", false, false, false, false, false, false, false, "silu", false},
    {"MistralForCausalLM", "mistral", "Mistral", false, false, false, false, false, false, false, "silu", false},
    {"Qwen2ForCausalLM", "qwen2", "Qwen2/2.5", true, false, false, false, false, false, false, "silu", false},
    {"Qwen3ForCausalLM", "qwen3", "Qwen3", false, true, false, false, false, false, false, "silu", false},
    {"Gemma2ForCausalLM", "gemma2", "Gemma-2", false, false, true, true, true, false, false, "gelu_pytorch_tanh", true},
    {"Gemma3ForCausalLM", "gemma3_text", "Gemma-3 (text)", false, true, true, true, true, false, false,
     "gelu_pytorch_tanh", true},
    {"Phi3ForCausalLM", "phi3", "Phi-3/3.5/4-mini", false, false, false, false, false, true, true, "silu", false},
};

// Known architectures the decoder does not serve, with what they are.
const std::pair<const char*, const char*> kRefused[] = {
    {"MixtralForCausalLM", "Mixtral (mixture of experts)"},
    {"Qwen2MoeForCausalLM", "Qwen2-MoE (mixture of experts)"},
    {"Qwen3MoeForCausalLM", "Qwen3-MoE (mixture of experts)"},
    {"PhiMoEForCausalLM", "Phi-3.5-MoE (mixture of experts)"},
    {"DeepseekV2ForCausalLM", "DeepSeek-V2 (mixture of experts, latent attention)"},
    {"DeepseekV3ForCausalLM", "DeepSeek-V3 (mixture of experts, latent attention)"},
    {"FalconForCausalLM", "Falcon (parallel attention, ALiBi/rotary variants)"},
    {"PhiForCausalLM", "Phi-1/Phi-2 (parallel blocks, LayerNorm, partial rotary)"},
    {"MambaForCausalLM", "Mamba (state-space model, no attention)"},
    {"Mamba2ForCausalLM", "Mamba-2 (state-space model, no attention)"},
    {"JambaForCausalLM", "Jamba (hybrid Mamba/attention, mixture of experts)"},
    {"GemmaForCausalLM", "Gemma-1 (GeGLU with exact GELU, not served)"},
    {"Gemma3ForConditionalGeneration", "Gemma-3 multimodal (vision tower; a text-only Gemma3ForCausalLM checkpoint loads)"},
    {"Qwen2VLForConditionalGeneration", "Qwen2-VL (multimodal)"},
    {"Qwen2_5_VLForConditionalGeneration", "Qwen2.5-VL (multimodal)"},
    {"LlavaForConditionalGeneration", "LLaVA (multimodal)"},
    {"MllamaForConditionalGeneration", "Llama-3.2 Vision (multimodal)"},
    {"Phi3VForCausalLM", "Phi-3-vision (multimodal)"},
    {"Phi4MMForCausalLM", "Phi-4-multimodal (multimodal)"},
    {"GPTNeoXForCausalLM", "GPT-NeoX/Pythia (LayerNorm, parallel residual)"},
    {"GPT2LMHeadModel", "GPT-2 (learned positions, LayerNorm)"},
    {"CohereForCausalLM", "Cohere Command-R"},
    {"Starcoder2ForCausalLM", "StarCoder2"},
};

}  // namespace

const FamilyTraits* find_family(const std::string& architecture) {
  for (const auto& f : kFamilies) {
    if (architecture == f.architecture) return &f;
  }
  return nullptr;
}

std::string architecture_for_model_type(const std::string& model_type) {
  for (const auto& f : kFamilies) {
    if (model_type == f.model_type) return f.architecture;
  }
  return {};
}

std::string refusal_reason(const std::string& architecture) {
  for (const auto& [name, what] : kRefused) {
    if (architecture == name) return std::string(what) + " is not supported";
  }
  return architecture + " is not a known decoder family";
}

std::string accepted_architectures() {
  std::string s;
  for (const auto& f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(f.architecture);
  return s;
}

std::vector<std::string> linear_module_names(const LlamaConfig& c) {
  std::vector<std::string> names;
  if (c.fused_qkv) {
    names.push_back("qkv_proj");
  } else {
    names.insert(names.end(), {"q_proj", "k_proj", "v_proj"});
  }
  names.push_back("o_proj");
  if (c.fused_gate_up) {
    names.push_back("gate_up_proj");
  } else {
    names.insert(names.end(), {"gate_proj", "up_proj"});
  }
  names.push_back("down_proj");
  return names;
}

std::string family_label(const LlamaConfig& c) {
  const FamilyTraits* f = find_family(c.architecture);
  return (f ? std::string(f->name) : c.architecture) + " (" + c.architecture + ")";
}

}  // namespace axolotl::model
