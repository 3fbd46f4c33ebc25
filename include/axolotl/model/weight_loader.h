// Loads a Hugging Face checkpoint folder (model.safetensors, or shards listed in
// model.safetensors.index.json) into a LlamaForCausalLM: every tensor's name, shape and dtype is
// checked first and all problems are reported in one error; then tensors are converted one by one
// from the memory map straight into the model's parameters (dtype and device), never two full copies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/model/llama_model.h"

namespace axolotl::model {

struct LoadStats {
  int64_t tensors = 0;
  uint64_t bytes = 0;  // bytes read from the checkpoint
  double seconds = 0;
};

// Fills every parameter of `model` from `folder` (IoError with a hint when it has no safetensors). Legacy `rotary_emb.inv_freq` keys are ignored.
// Throws Error listing all missing, unexpected, mis-shaped and wrongly typed tensors at once.
LoadStats load_weights(LlamaForCausalLMImpl& model, const std::string& folder);

}  // namespace axolotl::model
