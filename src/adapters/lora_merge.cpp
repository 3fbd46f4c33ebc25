// LoRA merge (FORMATS.md §3.4; peft tuners/lora/layer.py get_delta_weight, merge).
#include "axolotl/adapters/lora_merge.h"

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/util/error.h"

namespace axolotl::adapters {

torch::Tensor merge_lora_weight(const torch::Tensor& weight, const torch::Tensor& lora_A, const torch::Tensor& lora_B,
                                double scaling, torch::ScalarType out_dtype) {
  if (weight.dim() != 2 || lora_A.dim() != 2 || lora_B.dim() != 2 || lora_A.size(1) != weight.size(1) ||
      lora_B.size(0) != weight.size(0) || lora_B.size(1) != lora_A.size(0)) {
    throw Error("merge_lora_weight: shapes do not fit: W " + std::to_string(weight.size(0)) + "x" +
                std::to_string(weight.size(1)) + ", A " + std::to_string(lora_A.size(0)) + "x" +
                std::to_string(lora_A.size(1)) + ", B " + std::to_string(lora_B.size(0)) + "x" +
                std::to_string(lora_B.size(1)));
  }
  torch::NoGradGuard no_grad;
  const auto delta = lora_B.to(torch::kFloat32).matmul(lora_A.to(torch::kFloat32)) * scaling;  // (out, in)
  return (weight.to(torch::kFloat32) + delta).to(out_dtype);                                   // (out, in)
}

torch::Tensor merged_weight(const LoraLinear& layer, torch::ScalarType out_dtype) {
  const auto base = dense_weight(*layer.base_layer, torch::kFloat32);  // (out, in), dequantized if needed
  return merge_lora_weight(base, layer.lora_A->weight, layer.lora_B->weight, layer.scaling(), out_dtype);
}

int64_t merge_and_unload(model::LlamaForCausalLMImpl& m) {
  torch::NoGradGuard no_grad;
  const auto dtype = m.dtype();
  int64_t merged = 0;
  for (const auto& [name, layer] : projections(m)) {
    auto lora = std::dynamic_pointer_cast<LoraLinear>(layer);
    if (!lora) continue;
    torch::Tensor bias;
    if (auto* q4 = dynamic_cast<Nf4Linear*>(lora->base_layer.get())) bias = q4->bias;
    if (auto* q8 = dynamic_cast<Int8Linear*>(lora->base_layer.get())) bias = q8->bias;
    if (auto* d = dynamic_cast<model::DenseLinear*>(lora->base_layer.get())) bias = d->bias;
    const auto w = merged_weight(*lora, dtype);
    auto dense = std::make_shared<model::DenseLinear>(w.size(1), w.size(0), bias.defined(),
                                                      torch::TensorOptions().dtype(dtype).device(w.device()));
    dense->weight.copy_(w);
    if (bias.defined()) dense->bias.copy_(bias);
    replace_projection(m, name, dense);
    ++merged;
  }
  return merged;
}

}  // namespace axolotl::adapters
