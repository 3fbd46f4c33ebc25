// PEFT adapter folders (FORMATS.md §3.1, §3.3): adapter_model.safetensors with keys
// "base_model.model.<module>.lora_A.weight" etc. and metadata {"format":"pt"}, plus adapter_config.json.
// In memory, keys are model-relative ("model.layers.0.self_attn.q_proj.lora_A.weight", "lm_head.weight").
// adapter_model.bin (pickle) is not read.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "axolotl/adapters/adapter_config.h"

namespace axolotl::adapters {

inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";
inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kPeftPrefix = "base_model.model.";

// A file key without PEFT's wrapper prefix and adapter-name segments: drops "base_model.model.", and
// ".default" before the last segment (lora_A.default.weight) or at the end, and ".modules_to_save.default"
// (lm_head.modules_to_save.default.weight -> lm_head.weight). Empty when the prefix is missing.
std::string model_key(const std::string& file_key);

struct AdapterFiles {
  AdapterConfig config;
  std::map<std::string, torch::Tensor> tensors;  // model-relative keys, CPU, as stored
};

// Reads `dir`. IoError naming the folder when a file is missing or a key lacks the PEFT prefix.
AdapterFiles read_adapter(const std::string& dir);

// Writes both files into `dir` (created if needed), each to a temporary name then renamed.
void write_adapter(const std::string& dir, const AdapterConfig& config,
                   const std::map<std::string, torch::Tensor>& tensors);

}  // namespace axolotl::adapters
