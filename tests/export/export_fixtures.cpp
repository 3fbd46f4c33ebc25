// Tiny torch-free fixtures for the export tests (see export_fixtures.h).
#include "export_fixtures.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/io/safetensors.h"
#include "test_support.h"

namespace axolotl::testing {
namespace {

std::map<std::string, std::vector<int64_t>> shapes(const TinyLlamaSpec& s) {
  const int64_t hd = s.hidden / s.heads;
  std::map<std::string, std::vector<int64_t>> m;
  m["model.embed_tokens.weight"] = {s.vocab, s.hidden};
  m["model.norm.weight"] = {s.hidden};
  if (!s.tied) m["lm_head.weight"] = {s.vocab, s.hidden};
  for (int64_t l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    m[p + "input_layernorm.weight"] = {s.hidden};
    m[p + "post_attention_layernorm.weight"] = {s.hidden};
    m[p + "self_attn.q_proj.weight"] = {s.heads * hd, s.hidden};
    m[p + "self_attn.k_proj.weight"] = {s.kv_heads * hd, s.hidden};
    m[p + "self_attn.v_proj.weight"] = {s.kv_heads * hd, s.hidden};
    m[p + "self_attn.o_proj.weight"] = {s.hidden, s.heads * hd};
    m[p + "mlp.gate_proj.weight"] = {s.intermediate, s.hidden};
    m[p + "mlp.up_proj.weight"] = {s.intermediate, s.hidden};
    m[p + "mlp.down_proj.weight"] = {s.hidden, s.intermediate};
  }
  return m;
}

io::TensorSource make(const std::string& name, const std::vector<int64_t>& shape, float (*value)(int, int64_t, int64_t),
                      int t) {
  const int64_t rows = shape[0], cols = shape.size() > 1 ? shape[1] : 1;
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * cols * 4));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      float v = value(t, r, c);
      std::memcpy(&bytes[static_cast<size_t>((r * cols + c) * 4)], &v, 4);
    }
  }
  return io::tensor_owning_bytes(name, io::DType::kF32, shape, std::move(bytes));
}

}  // namespace

float fixture_value(int t, int64_t r, int64_t c) { return static_cast<float>(t * 10000 + r * 100 + c); }

int fixture_index(const TinyLlamaSpec& spec, const std::string& name) {
  int i = 0;
  for (const auto& [n, shape] : shapes(spec)) {
    if (n == name) return i;
    ++i;
  }
  return -1;
}

void write_tiny_llama(const std::filesystem::path& dir, const TinyLlamaSpec& s) {
  std::filesystem::create_directories(dir);
  nlohmann::json cfg = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
                        {"hidden_size", s.hidden}, {"intermediate_size", s.intermediate},
                        {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
                        {"num_key_value_heads", s.kv_heads}, {"vocab_size", s.vocab},
                        {"max_position_embeddings", 256}, {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0},
                        {"tie_word_embeddings", s.tied}, {"bos_token_id", 1}, {"eos_token_id", 2},
                        {"torch_dtype", "float32"}};
  write_file(dir / "config.json", cfg.dump(2));
  std::vector<io::TensorSource> tensors;
  int t = 0;
  for (const auto& [name, shape] : shapes(s)) tensors.push_back(make(name, shape, fixture_value, t++));
  io::write_safetensors((dir / "model.safetensors").string(), tensors);
}

void write_tiny_adapter(const std::filesystem::path& dir, const TinyLlamaSpec& s, int rank, double alpha) {
  std::filesystem::create_directories(dir);
  nlohmann::json cfg = {{"peft_type", "LORA"}, {"r", rank}, {"lora_alpha", alpha},
                        {"target_modules", {"q_proj", "v_proj"}}, {"bias", "none"}};
  write_file(dir / "adapter_config.json", cfg.dump(2));
  const int64_t hd = s.hidden / s.heads;
  auto a_value = [](int, int64_t r, int64_t c) { return static_cast<float>(1000 + r * 100 + c); };
  auto b_value = [](int, int64_t r, int64_t c) { return static_cast<float>(2000 + r * 100 + c); };
  std::vector<io::TensorSource> tensors;
  const std::string p = "base_model.model.model.layers.0.self_attn.";
  tensors.push_back(make(p + "q_proj.lora_A.weight", {rank, s.hidden}, a_value, 0));
  tensors.push_back(make(p + "q_proj.lora_B.weight", {s.heads * hd, rank}, b_value, 0));
  tensors.push_back(make(p + "v_proj.lora_A.weight", {rank, s.hidden}, a_value, 0));
  tensors.push_back(make(p + "v_proj.lora_B.weight", {s.kv_heads * hd, rank}, b_value, 0));
  io::write_safetensors((dir / "adapter_model.safetensors").string(), tensors);
}

}  // namespace axolotl::testing
