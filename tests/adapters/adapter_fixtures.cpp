// Implementation of adapter_fixtures.h.
#include "adapter_fixtures.h"

#include "axolotl/adapters/lora_linear.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/sharded_writer.h"

namespace axolotl::testing {

model::LlamaConfig tiny_llama(bool tied) {
  model::LlamaConfig c;
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = tied;
  c.initializer_range = 0.2;  // larger than HF's 0.02 so that logits differ visibly
  return c;
}

model::LlamaForCausalLM make_tiny_model(uint64_t seed, bool tied) {
  model::LlamaForCausalLM m(tiny_llama(tied), torch::TensorOptions().dtype(torch::kFloat32));
  model::init_weights(*m, seed);
  m->eval();
  return m;
}

void write_model_folder(model::LlamaForCausalLMImpl& m, const std::filesystem::path& dir, uint64_t max_shard_bytes) {
  std::filesystem::create_directories(dir);
  io::write_file_atomic((dir / "config.json").string(), model::llama_config_json(m.config()));
  std::vector<io::TensorSource> sources;
  for (const auto& p : m.named_parameters()) sources.push_back(adapters::tensor_source(p.key(), p.value()));
  io::write_sharded(dir.string(), std::move(sources), max_shard_bytes);
}

void randomize_lora(model::LlamaForCausalLMImpl& m, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  for (const auto& [name, layer] : adapters::projections(m)) {
    if (auto lora = std::dynamic_pointer_cast<adapters::LoraLinear>(layer)) {
      lora->lora_A->weight.copy_(at::normal(0.0, 0.2, lora->lora_A->weight.sizes(), gen));
      lora->lora_B->weight.copy_(at::normal(0.0, 0.2, lora->lora_B->weight.sizes(), gen));
    }
  }
}

torch::Tensor tiny_input_ids() {
  return torch::tensor({1, 5, 9, 17, 33, 2, 40, 63, 1, 7, 7, 7, 12, 50, 3, 4}, torch::kLong).view({2, 8});
}

}  // namespace axolotl::testing
