// A Hugging Face decoder config.json as a typed struct (FORMATS.md §2.1, §2.4; FORMATS2.md §5). Torch-free
// (in axolotl_core) so validation can read it. Accepted: the families of family.h (LLaMA, Mistral, Qwen2,
// Qwen3, Gemma-2, Gemma-3 text, Phi-3); their differences are the trait fields below, all off for LLaMA.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::model {

enum class RopeType { kDefault, kLinear, kDynamic, kLlama3, kLongRope, kYarn };

// rope_scaling (v4) or rope_parameters (v5), with FORMATS.md §2.4's defaults.
struct RopeScaling {
  RopeType type = RopeType::kDefault;
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3
  double high_freq_factor = 4.0;                    // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3, longrope, yarn (yarn: max_position_embeddings if absent)
  std::vector<double> short_factor, long_factor;     // longrope (hd·partial/2 each)
  std::optional<double> attention_factor;            // longrope, yarn; nullopt -> from factor
  // yarn (HF _compute_yarn_parameters); nullopt = not in the file (beta_fast 32, beta_slow 1, truncate
  // true; attention_factor from mscale / mscale_all_dim when both are non-zero). Kept for write-back.
  std::optional<double> beta_fast, beta_slow, mscale, mscale_all_dim;
  std::optional<bool> truncate;
};

struct LlamaConfig {
  std::string architecture = "LlamaForCausalLM";
  int64_t vocab_size = 32000;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null in the file -> num_attention_heads
  int64_t head_dim = 128;            // null in the file -> hidden_size / num_attention_heads
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  double initializer_range = 0.02;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  std::optional<int64_t> sliding_window;  // Mistral; nullopt = full attention
  int64_t bos_token_id = 1;
  std::vector<int64_t> eos_token_ids = {2};
  std::optional<int64_t> pad_token_id;
  std::string torch_dtype = "float32";  // torch_dtype or dtype ("float32", "bfloat16", "float16")

  // Family traits (family.h fills the defaults per architecture; the checkpoint may override some).
  std::string model_type = "llama";
  std::string hidden_act = "silu";              // or "gelu_pytorch_tanh" (Gemma GeGLU)
  bool qkv_bias = false;                        // Qwen2: q/k/v biases (o_proj none)
  bool qk_norm = false;                         // Qwen3, Gemma-3: RMSNorm over head_dim before RoPE
  bool norm_unit_offset = false;                // Gemma: RMSNorm output · (1 + w) in float32
  bool embed_scale = false;                     // Gemma: embeddings · sqrt(hidden) (in the model dtype)
  bool sandwich_norms = false;                  // Gemma-2/3: post-attention and pre/post feed-forward norms
  bool fused_qkv = false;                       // Phi-3: self_attn.qkv_proj
  bool fused_gate_up = false;                   // Phi-3: mlp.gate_up_proj
  std::optional<double> query_pre_attn_scalar;  // Gemma: scores · scalar^-0.5 instead of hd^-0.5
  std::optional<double> attn_logit_softcapping;   // Gemma-2: scores = cap·tanh(scores/cap) before the mask
  std::optional<double> final_logit_softcapping;  // Gemma-2: logits = cap·tanh(logits/cap)
  std::vector<bool> sliding_layers;             // per layer, true = sliding_window applies; empty = all layers
  std::optional<double> rope_local_theta;       // Gemma-3 rope_local_base_freq for sliding layers (no scaling)
  double partial_rotary_factor = 1.0;           // Phi-3 variants: RoPE on the first hd·factor dims
  std::optional<int64_t> original_max_position_embeddings;  // Phi-3 LongRoPE (top-level key)
  std::optional<int64_t> max_window_layers;     // Qwen2/3, written back as read
  bool use_sliding_window = false;              // Qwen2/3, written back as read
  // "Gemma3ForConditionalGeneration" when this is the text tower (text_config) of a multimodal
  // checkpoint; family.h maps its tensor names. Empty for a causal LM.
  std::string wrapper_architecture;
  // > 0: a sequence classifier (*ForSequenceClassification, `architecture` still names its decoder):
  // a score head hidden -> num_labels (score.weight, no bias) instead of lm_head. 0 = causal LM.
  int64_t num_labels = 0;
  // With num_labels: *ForTokenClassification (a score per token: score.weight and score.bias) instead.
  bool token_classifier = false;

  bool layer_is_sliding(int64_t layer) const {
    if (!sliding_window) return false;
    return sliding_layers.empty() || sliding_layers[static_cast<size_t>(layer)];
  }
  int64_t rotary_dim() const { return static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor); }

  int64_t n_rep() const { return num_attention_heads / num_key_value_heads; }  // GQA group size
};

// Parses config.json text; `file` names the source in errors. A Gemma3ForConditionalGeneration config
// gives its text_config as a Gemma3ForCausalLM (the top level's token ids and dtype win). Throws ConfigError listing every
// bad key (file and key named), e.g. a refused architecture or heads not dividing each other.
LlamaConfig parse_llama_config(const nlohmann::json& json, const std::string& file);
// Reads `path` (a config.json, or a folder holding one).
LlamaConfig load_llama_config(const std::string& path, const std::string& overrides = "");
// config.json's object with `overrides` (a JSON object as text, Axolotl's model_config) set over its
// top-level keys, as setattr on the loaded config; `j` unchanged when overrides is "". Error naming
// model_config when overrides is not an object.
nlohmann::json with_config_overrides(nlohmann::json j, const std::string& overrides);
// The config.json text Hugging Face writes for `config` (indent 2, sorted keys).
std::string llama_config_json(const LlamaConfig& config);

}  // namespace axolotl::model
