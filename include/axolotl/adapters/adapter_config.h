// PEFT's adapter_config.json for LoRA (FORMATS.md §3.2): built from our LoraConfig, written exactly as
// PEFT's save_pretrained does (json.dumps(indent=2, sort_keys=True)), and read back from PEFT's files.
// Also PEFT's target-module matching (§3.3). Limits: LoRA only; no DoRA, per-layer patterns or
// layers_to_transform (refused on load with a clear error).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "axolotl/config/config.h"

namespace axolotl::adapters {

// The seven LLaMA projections, "all linear layers except lm_head" (lora_target_linear, "all-linear").
const std::vector<std::string>& llama_linear_names();

struct AdapterConfig {
  int64_t r = 8;
  double lora_alpha = 8.0;
  double lora_dropout = 0.0;
  std::vector<std::string> target_modules;  // list form (suffix match)
  std::string target_regex;                 // set when the file holds a regex string (fullmatch)
  std::optional<std::vector<std::string>> modules_to_save;  // null when absent
  bool use_rslora = false;
  bool fan_in_fan_out = false;
  std::string base_model_name_or_path;      // empty -> null
  std::string task_type = "CAUSAL_LM";
  // Not in adapter_config.json: PEFT's save_pretrained(save_embedding_layers="auto") after the vocabulary
  // grew without modules_to_save. The resized embed_tokens (and an untied lm_head) are stored in full,
  // frozen, so the adapter carries the rows it was trained with.
  bool save_embedding_layers = false;
  // init_lora_weights "loftq" with loftq_config.loftq_bits (loftq.h): the base the adapter applies to is
  // the adapted projections' quantized form; 0 = the plain base.
  int loftq_bits = 0;

  double scaling() const;  // lora_alpha / r, or / sqrt(r) with use_rslora
  // PEFT's check_target_module_exists: full name equal to an entry or ending in "." + entry; a
  // regex string must match the whole name.
  bool targets(const std::string& module_name) const;
  // modules_to_save matching (peft ModulesToSaveWrapper: the module name ends with an entry).
  bool saves(const std::string& module_name) const;
};

// From the YAML's adapter section: lora_target_linear adds llama_linear_names() to target_modules;
// no targets at all -> PEFT's LLaMA default q_proj, v_proj. target_modules are written sorted.
AdapterConfig adapter_config_from(const config::LoraConfig& lora, const std::string& base_model);

// adapter_config.json text as PEFT writes it (no trailing newline, like PEFT).
std::string adapter_config_json(const AdapterConfig& config);

// Parses adapter_config.json text; `file` names it in errors. ConfigError listing every unsupported
// setting (peft_type other than LORA, use_dora, per-layer patterns, layers_to_transform, bias on).
AdapterConfig parse_adapter_config(const std::string& text, const std::string& file);
AdapterConfig read_adapter_config(const std::string& path);

}  // namespace axolotl::adapters
