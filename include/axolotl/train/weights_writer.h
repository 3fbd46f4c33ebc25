// Writes what a checkpoint or the final output holds besides the training state: the PEFT adapter
// (adapter_model.safetensors + adapter_config.json) or, for full fine-tuning, the whole model as
// HF safetensors shards + config.json + generation_config.json. The tokenizer files are data/tokenizer_save.h's.
#pragma once

#include <string>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::train {

// The local folders the run's model was loaded from (base_model, and base_model_config's config.json).
struct BaseCheckpoint {
  std::string model_dir;
  std::string config_dir;  // empty: model_dir
};

// adapter.r > 0: the adapter; otherwise every parameter (model dtype), config.json and
// generation_config.json (adapters::generation_config_for of base.model_dir). A full
// fine-tune of a multimodal checkpoint (model.config().wrapper_architecture, e.g.
// Gemma3ForConditionalGeneration) is written as transformers saves that model: every tensor of `base`
// under its own name, the text tower's replaced by the trained ones, the vision tower and projector
// copied from the base (streamed; converted only where the model's dtype differs from theirs), and
// the base's config.json with torch_dtype and text_config.vocab_size updated.
void write_weights(const std::string& dir, model::LlamaForCausalLMImpl& model,
                   const adapters::AdapterConfig& adapter, const BaseCheckpoint& base = {});

// Loads a checkpoint's weights back into the (adapter-injected) model: the adapter tensors, or the
// full safetensors weights. IoError / Error naming the folder on mismatch.
void read_weights(const std::string& dir, model::LlamaForCausalLMImpl& model,
                  const adapters::AdapterConfig& adapter);

}  // namespace axolotl::train
