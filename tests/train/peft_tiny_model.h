// The tiny PEFT reference LLaMA (tests/assets/adapters/peft_tiny/base: 2 layers, hidden 32, vocab 64),
// loaded in fp32 for the unit tests of the train module that need a real model.
#pragma once

#include <torch/torch.h>

#include "axolotl/model/llama_config.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/weight_loader.h"
#include "test_support.h"

namespace axolotl::train::testing_models {

inline model::LlamaForCausalLM peft_tiny_base() {
  const auto dir = (testing::source_dir() / "tests/assets/adapters/peft_tiny/base").string();
  model::LlamaForCausalLM m(model::load_llama_config(dir), torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*m, dir);
  return m;
}

}  // namespace axolotl::train::testing_models
