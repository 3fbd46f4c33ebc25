// Builds a LlamaForCausalLM from a local Hugging Face folder as the config's model section says
// (device, dtype, threads). Hub repo ids are not resolved here yet: the name must be a folder.
#pragma once

#include <string>

#include "axolotl/config/config.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::model {

// The folder `config.name` names; Error when it is not an existing local folder.
std::string model_folder(const config::ModelConfig& config);

// Reads config.json (from config_path when set), creates the model on the resolved device and
// dtype, sets intra-op threads, loads the weights. The model is returned in eval mode.
LlamaForCausalLM load_pretrained(const config::ModelConfig& config);

}  // namespace axolotl::model
