// Builds a LlamaForCausalLM from a local Hugging Face folder as the config's model section says
// (device, dtype, threads). A name that is not a local path but a Hub repo id is resolved through the
// huggingface_hub cache (io/hub_resolve.h), downloading when needed.
#pragma once

#include <string>

#include "axolotl/config/config.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/weight_loader.h"

namespace axolotl::model {

// The local folder for `config.name` (a folder, or a Hub repo id fetched into the cache); Error otherwise.
std::string model_folder(const config::ModelConfig& config);
// The local folder holding config.json: config_path (base_model_config) when set, else model_folder().
std::string model_config_folder(const config::ModelConfig& config);

// Reads config.json (from config_path when set), creates the model on the resolved device and
// dtype, sets intra-op threads, loads the weights. The model is returned in eval mode.
// `hook_for(model)`, when given, makes the per-tensor hook handed to load_weights (weight_loader.h).
using LoadHookFactory = std::function<TensorLoaded(LlamaForCausalLMImpl&)>;
LlamaForCausalLM load_pretrained(const config::ModelConfig& config, const LoadHookFactory& hook_for = {});
// reinit_weights: as load_pretrained without reading any weights; init_weights(seed), and the
// pad_token_id row of the embeddings zeroed as nn.Embedding(padding_idx) does. Eval mode.
LlamaForCausalLM random_pretrained(const config::ModelConfig& config, uint64_t seed);

}  // namespace axolotl::model
