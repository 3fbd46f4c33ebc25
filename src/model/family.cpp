// The family traits table (FORMATS2.md §5; transformers models/{llama,mistral,qwen2,qwen3,gemma2,gemma3,
// phi3}/configuration_*.py and modeling_*.py) and the refusals of architectures the decoder does not serve.
#include "axolotl/model/family.h"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

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

// HF configuration_*.py size and token defaults, for the sparse config.json files that rely on them.
struct SizeDefaults {
  const char* model_type;
  int64_t vocab, hidden, intermediate, layers, heads, kv_heads;  // kv_heads 0: = heads
  int64_t max_positions, bos, eos;
  std::optional<int64_t> pad;
};
const SizeDefaults kSizeDefaults[] = {
    {"qwen2", 151936, 4096, 22016, 32, 32, 32, 32768, 151643, 151643, std::nullopt},
    {"qwen3", 151936, 4096, 22016, 32, 32, 32, 32768, 151643, 151645, std::nullopt},
    {"gemma2", 256000, 2304, 9216, 26, 8, 4, 8192, 2, 1, 0},
    {"gemma3_text", 262208, 2304, 9216, 26, 8, 4, 131072, 2, 1, 0},
    {"phi3", 32064, 3072, 8192, 32, 32, 0, 4096, 1, 32000, 32000},
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

namespace {

// transformers' class names; Gemma-3's text decoder has no token classifier.
std::string classifier_name(const FamilyTraits& f, bool token) {
  const std::string lm = f.architecture;
  if (lm == "Gemma3ForCausalLM") return token ? "" : "Gemma3TextForSequenceClassification";
  return lm.substr(0, lm.size() - std::string("ForCausalLM").size()) +
         (token ? "ForTokenClassification" : "ForSequenceClassification");
}

}  // namespace

std::string causal_lm_of_classifier(const std::string& architecture, bool* token) {
  for (const auto& f : kFamilies) {
    for (const bool t : {false, true}) {
      if (architecture != classifier_name(f, t)) continue;
      if (token) *token = t;
      return f.architecture;
    }
  }
  return {};
}

std::string classifier_of(const std::string& causal_lm, bool token) {
  const FamilyTraits* f = find_family(causal_lm);
  return f ? classifier_name(*f, token) : std::string();
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

std::vector<std::string> config_classes_of(const std::string& architecture) {
  static const std::pair<const char*, std::vector<std::string>> kClasses[] = {
      {"LlamaForCausalLM", {"LlamaConfig"}},       {"MistralForCausalLM", {"MistralConfig"}},
      {"Qwen2ForCausalLM", {"Qwen2Config"}},       {"Qwen3ForCausalLM", {"Qwen3Config"}},
      {"Gemma2ForCausalLM", {"Gemma2Config"}},     {"Gemma3ForCausalLM", {"Gemma3TextConfig", "Gemma3Config"}},
      {"Phi3ForCausalLM", {"Phi3Config"}},
  };
  for (const auto& [arch, classes] : kClasses) {
    if (architecture == arch) return classes;
  }
  return {};
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
  std::string label = (f ? std::string(f->name) : c.architecture) + " (" + c.architecture + ")";
  if (!c.wrapper_architecture.empty()) {
    label += ", the text tower of " + c.wrapper_architecture + " (vision tower and projector kept unchanged)";
  }
  return label;
}

int64_t apply_size_defaults(const FamilyTraits& f, LlamaConfig& c) {
  for (const auto& d : kSizeDefaults) {
    if (std::string(d.model_type) != f.model_type) continue;
    c.vocab_size = d.vocab;
    c.hidden_size = d.hidden;
    c.intermediate_size = d.intermediate;
    c.num_hidden_layers = d.layers;
    c.num_attention_heads = d.heads;
    c.max_position_embeddings = d.max_positions;
    c.bos_token_id = d.bos;
    c.eos_token_ids = {d.eos};
    c.pad_token_id = d.pad;
    return d.kv_heads;
  }
  return 0;
}

void write_family_keys(const LlamaConfig& c, nlohmann::json& j) {
  const std::string& mt = c.model_type;
  if (mt == "qwen2" || mt == "qwen3") {
    j["use_sliding_window"] = c.use_sliding_window;
    if (c.max_window_layers) j["max_window_layers"] = *c.max_window_layers;
    if (!c.sliding_window) j["sliding_window"] = nullptr;
  }
  if (mt == "gemma2" || mt == "gemma3_text") {
    j["hidden_activation"] = c.hidden_act;
    j["query_pre_attn_scalar"] = c.query_pre_attn_scalar ? nlohmann::json(*c.query_pre_attn_scalar) : nlohmann::json();
    j["attn_logit_softcapping"] = c.attn_logit_softcapping ? nlohmann::json(*c.attn_logit_softcapping) : nlohmann::json();
    j["final_logit_softcapping"] = c.final_logit_softcapping ? nlohmann::json(*c.final_logit_softcapping) : nlohmann::json();
    if (!c.sliding_window) j["sliding_window"] = nullptr;
  }
  if (c.rope_local_theta) j["rope_local_base_freq"] = *c.rope_local_theta;
  if (mt == "phi3") {
    j["partial_rotary_factor"] = c.partial_rotary_factor;
    if (c.original_max_position_embeddings) j["original_max_position_embeddings"] = *c.original_max_position_embeddings;
    if (!c.sliding_window) j["sliding_window"] = nullptr;
  }
  if (!c.sliding_layers.empty()) {
    auto types = nlohmann::json::array();
    for (bool sliding : c.sliding_layers) types.push_back(sliding ? "sliding_attention" : "full_attention");
    j["layer_types"] = types;
  }
}

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// (causal LM prefix, legacy spelling, current spelling), transformers Gemma3ForConditionalGeneration
// _checkpoint_conversion_mapping.
struct TowerPrefix {
  const char* causal_lm;
  const char* legacy;
  const char* current;
};
const TowerPrefix kTowerPrefixes[] = {
    {"model.", "language_model.model.", "model.language_model."},
    {"lm_head.", "language_model.lm_head.", "lm_head."},
};

}  // namespace

std::string tower_name(const std::string& name, TowerLayout layout) {
  if (layout == TowerLayout::kCausalLm) return name;
  for (const auto& p : kTowerPrefixes) {
    if (!starts_with(name, p.causal_lm)) continue;
    return (layout == TowerLayout::kLegacy ? p.legacy : p.current) + name.substr(std::string(p.causal_lm).size());
  }
  return name;
}

std::string causal_lm_name(const std::string& name) {
  for (const auto& p : kTowerPrefixes) {
    for (const char* spelled : {p.legacy, p.current}) {
      // lm_head. is its own spelling in the current layout: nothing to map.
      if (std::string(spelled) != p.causal_lm && starts_with(name, spelled)) {
        return p.causal_lm + name.substr(std::string(spelled).size());
      }
    }
  }
  return name;
}

bool outside_text_tower(const std::string& name) {
  for (const char* prefix : {"vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector."}) {
    if (starts_with(name, prefix)) return true;
  }
  return false;
}

std::string peft_name(const LlamaConfig& c, const std::string& name) {
  return c.wrapper_architecture.empty() ? name : tower_name(name, TowerLayout::kCurrent);
}

}  // namespace axolotl::model
