// Shared fixtures of the adapters tests: a tiny LLaMA (GQA, untied lm_head), written as a HF folder,
// and LoRA weights made non-trivial (B = 0 at init would make every adapter a no-op).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "axolotl/model/llama_model.h"

namespace axolotl::testing {

model::LlamaConfig tiny_llama(bool tied = false);
// A float32 CPU model with init_weights(seed), in eval mode.
model::LlamaForCausalLM make_tiny_model(uint64_t seed = 1, bool tied = false);
// config.json + model.safetensors (or shards when max_shard_bytes is small) of `model`'s parameters.
void write_model_folder(model::LlamaForCausalLMImpl& m, const std::filesystem::path& dir,
                        uint64_t max_shard_bytes = 1ull << 40);
// Fills every lora_A/lora_B with N(0, 0.2) from `seed`.
void randomize_lora(model::LlamaForCausalLMImpl& m, uint64_t seed);
// A fixed batch (2, 8) of token ids below the tiny vocab.
torch::Tensor tiny_input_ids();

}  // namespace axolotl::testing
