// LoftQ (Axolotl's `peft: {loftq_config: {loftq_bits: 4}}`, PEFT init_lora_weights="loftq",
// utils/loftq_utils.py loftq_init with loftq_iter 1): each adapted projection's dense weight W (float32)
// is quantized as bitsandbytes does (NF4 in blocks of 64 without double quantization, or int8 per row),
// the base becomes the dequantized Q, and the residual W - Q's rank-r SVD factors initialise the adapter:
// lora_B = U·sqrt(S)[:, :r], lora_A = sqrt(S)[:r]·Vh. As in PEFT the factors ignore the LoRA scaling, so
// the initial model is Q + scaling·B·A. PEFT redoes this whenever it loads such an adapter (its
// adapter_config.json says init_lora_weights "loftq"), so the base an adapter applies to is Q, in
// training, inference and merge alike.
#pragma once

#include <torch/torch.h>

#include "axolotl/model/llama_model.h"

namespace axolotl::adapters {

struct LoftqFactors {
  torch::Tensor base;    // (out, in) the dequantized weight, in `weight`'s dtype
  torch::Tensor lora_A;  // (r, in) float32
  torch::Tensor lora_B;  // (out, r) float32
};

// `weight` (out, in) any float dtype; bits 4 or 8; rank >= 1.
LoftqFactors loftq_factors(const torch::Tensor& weight, int bits, int64_t rank);
// Q alone (what PEFT's loftq_init writes into the base layer when it loads a LoftQ adapter).
torch::Tensor loftq_base(const torch::Tensor& weight, int bits);

// Every LoraLinear of `m` with a dense base: base <- Q; lora_A, lora_B <- the factors when
// `init_adapter` (a fresh adapter), else left as loaded. Error when a base is quantized.
void apply_loftq(model::LlamaForCausalLMImpl& m, int bits, bool init_adapter);

}  // namespace axolotl::adapters
