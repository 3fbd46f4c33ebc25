// The model families one decoder serves (FORMATS2.md §5): a table of traits per architecture name, so the
// differences between LLaMA, Mistral, Qwen2/2.5, Qwen3, Gemma-2, Gemma-3 (text) and Phi-3 are data, not
// copies of the model. Torch-free (axolotl_core). Architectures outside the table are refused by name.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "axolotl/model/llama_config.h"

namespace axolotl::model {

struct FamilyTraits {
  const char* architecture;  // config.json "architectures"[0], e.g. "Qwen2ForCausalLM"
  const char* model_type;    // config.json "model_type", e.g. "qwen2"
  const char* name;          // for people: "Qwen2/2.5"
  bool qkv_bias;             // q/k/v projections carry a bias (not o_proj): Qwen2
  bool qk_norm;              // per-head RMSNorm of q and k before RoPE: Qwen3, Gemma-3
  bool norm_unit_offset;     // RMSNorm · (1 + w): Gemma
  bool embed_scale;          // embeddings · sqrt(hidden): Gemma
  bool sandwich_norms;       // post-attention + pre/post feed-forward norms: Gemma-2/3
  bool fused_qkv;            // self_attn.qkv_proj: Phi-3
  bool fused_gate_up;        // mlp.gate_up_proj: Phi-3
  const char* hidden_act;    // default activation
  bool tie_word_embeddings;  // default when config.json omits it
};

// The traits of `architecture`, or nullptr when the decoder does not serve it.
const FamilyTraits* find_family(const std::string& architecture);
// The architecture name for a config.json that has only "model_type" (e.g. "qwen3"); empty if unknown.
std::string architecture_for_model_type(const std::string& model_type);
// Classifiers over a served decoder (AutoModelFor{Sequence,Token}Classification; reward and process reward
// models): "Qwen2ForSequenceClassification" -> "Qwen2ForCausalLM" (`token` set false),
// "Qwen2ForTokenClassification" -> the same (`token` set true); empty when `architecture` is not one.
std::string causal_lm_of_classifier(const std::string& architecture, bool* token = nullptr);
// The reverse: "Qwen2ForCausalLM" -> "Qwen2ForSequenceClassification", or with `token`
// "Qwen2ForTokenClassification" (Gemma-3's text decoder: Gemma3TextForSequenceClassification, as
// transformers maps gemma3_text, and no token classifier: empty).
std::string classifier_of(const std::string& causal_lm, bool token = false);
// Why `architecture` is refused, naming what it is ("Mixtral (mixture of experts)"); a generic line for
// names the table does not know.
std::string refusal_reason(const std::string& architecture);
// Every accepted architecture, comma separated (for error messages).
std::string accepted_architectures();
// transformers' configuration classes for `architecture` (Axolotl's cls_model_config names one of them):
// {"LlamaConfig"}, {"Gemma3TextConfig", "Gemma3Config"} (the multimodal wrapper, whose text tower is
// loaded), ...; empty for an architecture outside the table.
std::vector<std::string> config_classes_of(const std::string& architecture);
// The linear projections of one decoder layer, PEFT/HF module names (lora_target_linear's set, without
// lm_head): q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; qkv_proj, o_proj, gate_up_proj,
// down_proj for Phi-3.
std::vector<std::string> linear_module_names(const LlamaConfig& config);
// "Qwen3 (Qwen3ForCausalLM)"
std::string family_label(const LlamaConfig& config);
// Sets the HF configuration class's size and token defaults of `family` (for sparse config.json files);
// returns its num_key_value_heads default (0 = num_attention_heads).
int64_t apply_size_defaults(const FamilyTraits& family, LlamaConfig& config);
// Adds the trait keys of a non-LLaMA family to a config.json object, as its HF config spells them.
void write_family_keys(const LlamaConfig& config, nlohmann::json& json);

// Multimodal checkpoints (Gemma3ForConditionalGeneration) nest the text tower (transformers
// modeling_gemma3.py): transformers >= 4.52 names it model.language_model.* and lm_head.*, older
// versions (and most Hub checkpoints) language_model.model.* and language_model.lm_head.*. The decoder's
// own names stay the causal LM's (model.layers.0..., lm_head.weight); these map between the spellings.
enum class TowerLayout { kCausalLm, kLegacy, kCurrent };
// A causal-LM name spelled in `layout` ("model.norm.weight" -> "language_model.model.norm.weight").
std::string tower_name(const std::string& causal_lm_name, TowerLayout layout);
// Either multimodal spelling back to the causal-LM name; other names are returned unchanged.
std::string causal_lm_name(const std::string& name);
// vision_tower.*, multi_modal_projector.* (either layout): tensors outside the text tower.
bool outside_text_tower(const std::string& name);
// The module or tensor name as PEFT sees it on the full model: model.language_model.* for a
// multimodal checkpoint (current transformers), the causal-LM name otherwise.
std::string peft_name(const LlamaConfig& config, const std::string& causal_lm_name);

}  // namespace axolotl::model
