// Loads a Hugging Face checkpoint folder (model.safetensors, or shards listed in
// model.safetensors.index.json) into a LlamaForCausalLM: every tensor's name, shape and dtype is
// checked first and all problems are reported in one error; then tensors are converted one by one
// from the memory map straight into the model's parameters (dtype and device), never two full copies.
#pragma once

#include <cstdint>
#include <functional>
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
// `on_loaded(name)` runs after each tensor is in (in named_parameters() order), e.g. to quantize a
// projection as soon as its weight is there, so that a quantized model never holds every dense weight.
using TensorLoaded = std::function<void(const std::string& name)>;
LoadStats load_weights(LlamaForCausalLMImpl& model, const std::string& folder, const TensorLoaded& on_loaded = {});

}  // namespace axolotl::model
