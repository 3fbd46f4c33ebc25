// Puts adapters into a loaded LlamaForCausalLM: quantizes the seven projections of every layer
// (QLoRA NF4 or 8-bit, lm_head and embeddings stay dense, as bitsandbytes), wraps the targeted ones in
// LoraLinear (PEFT suffix matching), marks modules_to_save trainable, freezes the rest. Also gathers the
// adapter's tensors for saving and loads a PEFT adapter with one error listing every mismatch.
// Limits: LoRA targets are the seven projections only (not lm_head/embed_tokens: use modules_to_save);
// modules_to_save keep the model dtype (their forward feeds dense layers directly).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/config/config.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/weight_loader.h"

namespace axolotl::adapters {

struct InjectionReport {
  std::vector<std::string> adapted;        // module names wrapped in LoraLinear
  std::vector<std::string> saved_modules;  // modules trained in full (modules_to_save)
  int64_t quantized_layers = 0;
  int64_t trainable_params = 0;
  int64_t total_params = 0;                // dense parameters + quantized weights' element counts
};

// The seven projections' full module names with their current layers, in model order.
std::vector<std::pair<std::string, std::shared_ptr<model::LinearLike>>> projections(model::LlamaForCausalLMImpl& m);

// Swaps the projection called `name` (a name from projections()) for `layer`; Error when unknown.
void replace_projection(model::LlamaForCausalLMImpl& m, const std::string& name, std::shared_ptr<model::LinearLike> layer);

// `dense` as QLoRA's Nf4Linear (load_in_4bit, computing in `compute`) or an Int8Linear (load_in_8bit).
std::shared_ptr<model::LinearLike> quantized(const model::DenseLinear& dense, const config::QuantizationConfig& quant,
                                             torch::ScalarType compute);
// Replaces every dense projection with an Nf4Linear (load_in_4bit) or Int8Linear (load_in_8bit),
// computing in the model dtype. No-op when neither is set. Returns the number of layers quantized.
int64_t quantize_base(model::LlamaForCausalLMImpl& m, const config::QuantizationConfig& quant);

// The same quantization done while the weights load: a load_weights hook that replaces each dense
// projection by its quantized form as soon as its last tensor is in, so peak memory holds one dense
// projection at a time instead of the whole dense model. Empty when neither 4- nor 8-bit is set.
model::TensorLoaded quantize_while_loading(model::LlamaForCausalLMImpl& m, const config::QuantizationConfig& quant);

// Wraps targeted projections with LoraLinear(r, alpha, dropout, rslora of `adapter`), then sets
// requires_grad: true only for lora_A/lora_B and modules_to_save parameters. Error when a
// target_modules / modules_to_save entry matches nothing (or names lm_head/embed_tokens as a target).
InjectionReport inject_lora(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter);

// The adapter's tensors under model-relative keys: "<module>.lora_A.weight" (r, in),
// "<module>.lora_B.weight" (out, r), and every parameter of modules_to_save ("lm_head.weight").
std::map<std::string, torch::Tensor> adapter_state(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter);

// Copies `tensors` into the injected model. Checks first, then one Error listing missing keys,
// unexpected keys and shape mismatches (hint: wrong base model?). `source` names the adapter in it.
void load_adapter_state(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter,
                        const std::map<std::string, torch::Tensor>& tensors, const std::string& source);

// The whole setup for train/inference: quantize per `quant`; then, when lora.type is LoRA/QLoRA,
// inject either a fresh adapter from `lora` or, when lora.model_dir is set, the adapter stored there
// (its adapter_config.json decides r/alpha/targets, as PEFT from_pretrained). Without an adapter
// every parameter stays trainable (full fine-tuning). Returns the adapter's config (r = 0 when none).
AdapterConfig setup_adapters(model::LlamaForCausalLMImpl& m, const config::LoraConfig& lora,
                             const config::QuantizationConfig& quant, const std::string& base_model,
                             InjectionReport* report = nullptr);

// adapter_state + write_adapter.
void save_adapter(const std::string& dir, model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter);

}  // namespace axolotl::adapters
