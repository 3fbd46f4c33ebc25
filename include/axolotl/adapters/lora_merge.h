// LoRA merge as pure functions over weights (FORMATS.md §3.4): W' = W + scaling·(B @ A), computed in
// float32 and cast to the output dtype; quantized bases (NF4, int8) are dequantized to float32 first.
#pragma once

#include <torch/torch.h>

#include "axolotl/adapters/lora_linear.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::adapters {

// weight (out, in) any float dtype; lora_A (r, in); lora_B (out, r) -> (out, in) in out_dtype.
torch::Tensor merge_lora_weight(const torch::Tensor& weight, const torch::Tensor& lora_A, const torch::Tensor& lora_B,
                                double scaling, torch::ScalarType out_dtype);

// The merged dense weight (out, in) of one LoRA layer, in out_dtype.
torch::Tensor merged_weight(const LoraLinear& layer, torch::ScalarType out_dtype);

// PEFT merge_and_unload in memory: every LoraLinear becomes a DenseLinear holding the merged weight
// (and the base bias) in the model dtype. Returns the number of layers merged.
int64_t merge_and_unload(model::LlamaForCausalLMImpl& m);

}  // namespace axolotl::adapters
