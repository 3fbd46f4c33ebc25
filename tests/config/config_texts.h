// Config texts shared by the config tests: the same settings in both dialects.
#pragma once

namespace axolotl::testing {

// The nested dialect as documented in the README; must validate unchanged.
constexpr const char* kNestedExample = R"(model:
  name: meta-llama/Llama-2-7b-hf
  dtype: bfloat16
dataset:
  path: ./data/alpaca.json
  format: alpaca
training:
  epochs: 3
  batch_size: 4
  learning_rate: 2e-4
  gradient_accumulation: 4
adapter:
  type: lora
  rank: 16
  alpha: 32
  target_modules:
    - q_proj
    - v_proj
)";

// kNestedExample's settings in Python Axolotl's flat dialect.
constexpr const char* kFlatExample = R"(base_model: meta-llama/Llama-2-7b-hf
bfloat16: true
datasets:
  - path: ./data/alpaca.json
    type: alpaca
num_epochs: 3
micro_batch_size: 4
learning_rate: 0.0002
gradient_accumulation_steps: 4
adapter: lora
lora_r: 16
lora_alpha: 32
lora_target_modules: [q_proj, v_proj]
)";

}  // namespace axolotl::testing
