// A Hugging Face LLaMA/Mistral config.json as a typed struct (FORMATS.md §2.1, §2.4). Torch-free (in
// axolotl_core) so validation can read it. Only LlamaForCausalLM and MistralForCausalLM are accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::model {

enum class RopeType { kDefault, kLinear, kDynamic, kLlama3 };

// rope_scaling (v4) or rope_parameters (v5), with FORMATS.md §2.4's defaults.
struct RopeScaling {
  RopeType type = RopeType::kDefault;
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3
  double high_freq_factor = 4.0;                    // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
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

  int64_t n_rep() const { return num_attention_heads / num_key_value_heads; }  // GQA group size
};

// Parses config.json text; `file` names the source in errors. Throws ConfigError listing every
// bad key (file and key named), e.g. a refused architecture or heads not dividing each other.
LlamaConfig parse_llama_config(const nlohmann::json& json, const std::string& file);
// Reads `path` (a config.json, or a folder holding one).
LlamaConfig load_llama_config(const std::string& path);
// The config.json text Hugging Face writes for `config` (indent 2, sorted keys).
std::string llama_config_json(const LlamaConfig& config);

}  // namespace axolotl::model
