// Writes what a checkpoint or the final output holds besides the training state: the PEFT adapter
// (adapter_model.safetensors + adapter_config.json) or, for full fine-tuning, the whole model as
// HF safetensors shards + config.json. The tokenizer files are data/tokenizer_save.h's.
#pragma once

#include <string>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::train {

// adapter.r > 0: the adapter; otherwise every parameter (model dtype) and config.json.
void write_weights(const std::string& dir, model::LlamaForCausalLMImpl& model,
                   const adapters::AdapterConfig& adapter);

// Loads a checkpoint's weights back into the (adapter-injected) model: the adapter tensors, or the
// full safetensors weights. IoError / Error naming the folder on mismatch.
void read_weights(const std::string& dir, model::LlamaForCausalLMImpl& model,
                  const adapters::AdapterConfig& adapter);

}  // namespace axolotl::train
