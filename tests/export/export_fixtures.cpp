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

int64_t head_dim(const TinyLlamaSpec& s) { return s.head_dim > 0 ? s.head_dim : s.hidden / s.heads; }

std::map<std::string, std::vector<int64_t>> shapes(const TinyLlamaSpec& s) {
  const int64_t hd = head_dim(s);
  const bool gemma = s.family == "gemma2" || s.family == "gemma3";
  const bool qk_norm = s.family == "qwen3" || s.family == "gemma3";
  std::map<std::string, std::vector<int64_t>> m;
  m["model.embed_tokens.weight"] = {s.vocab, s.hidden};
  m["model.norm.weight"] = {s.hidden};
  if (!s.tied) m["lm_head.weight"] = {s.vocab, s.hidden};
  for (int64_t l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    m[p + "input_layernorm.weight"] = {s.hidden};
    m[p + "post_attention_layernorm.weight"] = {s.hidden};
    if (s.family == "phi3") {
      m[p + "self_attn.qkv_proj.weight"] = {(s.heads + 2 * s.kv_heads) * hd, s.hidden};
      m[p + "mlp.gate_up_proj.weight"] = {2 * s.intermediate, s.hidden};
    } else {
      m[p + "self_attn.q_proj.weight"] = {s.heads * hd, s.hidden};
      m[p + "self_attn.k_proj.weight"] = {s.kv_heads * hd, s.hidden};
      m[p + "self_attn.v_proj.weight"] = {s.kv_heads * hd, s.hidden};
      m[p + "mlp.gate_proj.weight"] = {s.intermediate, s.hidden};
      m[p + "mlp.up_proj.weight"] = {s.intermediate, s.hidden};
    }
    m[p + "self_attn.o_proj.weight"] = {s.hidden, s.heads * hd};
    m[p + "mlp.down_proj.weight"] = {s.hidden, s.intermediate};
    if (s.family == "qwen2") {
      m[p + "self_attn.q_proj.bias"] = {s.heads * hd};
      m[p + "self_attn.k_proj.bias"] = {s.kv_heads * hd};
      m[p + "self_attn.v_proj.bias"] = {s.kv_heads * hd};
    }
    if (qk_norm) {
      m[p + "self_attn.q_norm.weight"] = {hd};
      m[p + "self_attn.k_norm.weight"] = {hd};
    }
    if (gemma) {
      m[p + "pre_feedforward_layernorm.weight"] = {s.hidden};
      m[p + "post_feedforward_layernorm.weight"] = {s.hidden};
    }
  }
  if (s.multimodal.empty()) return m;
  // Gemma3ForConditionalGeneration (modeling_gemma3.py): the text tower nested, a vision tower beside it.
  const bool current = s.multimodal == "current";
  std::map<std::string, std::vector<int64_t>> mm;
  for (const auto& [name, shape] : m) {
    if (name.rfind("lm_head.", 0) == 0) {
      mm[current ? name : "language_model." + name] = shape;
    } else {
      mm[(current ? "model.language_model." : "language_model.model.") + name.substr(6)] = shape;
    }
  }
  const std::string v = current ? "model." : "";
  mm[v + "vision_tower.vision_model.post_layernorm.weight"] = {16};
  mm[v + "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"] = {16, 16};
  mm[v + "multi_modal_projector.mm_input_projection_weight"] = {16, s.hidden};
  mm[v + "multi_modal_projector.mm_soft_emb_norm.weight"] = {16};
  return mm;
}

// config.json: the llama keys plus what each family's HF config class reads.
nlohmann::json family_config(const TinyLlamaSpec& s) {
  static const std::map<std::string, std::pair<const char*, const char*>> kArch = {
      {"llama", {"LlamaForCausalLM", "llama"}},       {"qwen2", {"Qwen2ForCausalLM", "qwen2"}},
      {"qwen3", {"Qwen3ForCausalLM", "qwen3"}},       {"gemma2", {"Gemma2ForCausalLM", "gemma2"}},
      {"gemma3", {"Gemma3ForCausalLM", "gemma3_text"}}, {"phi3", {"Phi3ForCausalLM", "phi3"}},
  };
  const auto& [arch, model_type] = kArch.at(s.family);
  nlohmann::json cfg = {{"architectures", {arch}}, {"model_type", model_type},
                        {"hidden_size", s.hidden}, {"intermediate_size", s.intermediate},
                        {"num_hidden_layers", s.layers}, {"num_attention_heads", s.heads},
                        {"num_key_value_heads", s.kv_heads}, {"vocab_size", s.vocab},
                        {"max_position_embeddings", 256}, {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0},
                        {"tie_word_embeddings", s.tied}, {"bos_token_id", 1}, {"eos_token_id", 2},
                        {"torch_dtype", "float32"}};
  if (s.head_dim > 0) cfg["head_dim"] = s.head_dim;
  if (!s.rope_scaling.empty()) cfg["rope_scaling"] = nlohmann::json::parse(s.rope_scaling);
  if (s.family == "gemma2" || s.family == "gemma3") {
    cfg["head_dim"] = head_dim(s);
    cfg["query_pre_attn_scalar"] = head_dim(s);
    cfg["sliding_window"] = 64;
    cfg["hidden_activation"] = "gelu_pytorch_tanh";
  }
  if (s.family == "gemma2") {
    cfg["attn_logit_softcapping"] = 50.0;
    cfg["final_logit_softcapping"] = 30.0;
  }
  if (s.family == "gemma3") {
    cfg["rope_theta"] = 1000000.0;
    cfg["rope_local_base_freq"] = 10000.0;
    cfg["sliding_window_pattern"] = 6;
  }
  if (s.family == "phi3") {
    cfg["original_max_position_embeddings"] = 256;
    cfg["sliding_window"] = 128;
  }
  if (s.multimodal.empty()) return cfg;
  // configuration_gemma3.py Gemma3Config: the decoder's keys in text_config, token ids and dtype on top.
  nlohmann::json text = cfg;
  nlohmann::json top = {{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"},
                        {"image_token_index", s.vocab - 1}, {"mm_tokens_per_image", 4},
                        {"vision_config", {{"model_type", "siglip_vision_model"}, {"hidden_size", 16}, {"patch_size", 4}}}};
  for (const char* key : {"architectures", "bos_token_id", "eos_token_id", "torch_dtype"}) {
    if (std::string(key) != "architectures") top[key] = text[key];
    text.erase(key);
  }
  top["text_config"] = text;
  return top;
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
  const nlohmann::json cfg = family_config(s);
  write_file(dir / "config.json", cfg.dump(2));
  std::vector<io::TensorSource> tensors;
  int t = 0;
  for (const auto& [name, shape] : shapes(s)) tensors.push_back(make(name, shape, fixture_value, t++));
  io::write_safetensors((dir / "model.safetensors").string(), tensors);
}

void write_tiny_adapter(const std::filesystem::path& dir, const TinyLlamaSpec& s, int rank, double alpha) {
  std::filesystem::create_directories(dir);
  const bool phi3 = s.family == "phi3";  // fused projections: qkv_proj and o_proj
  const std::string m1 = phi3 ? "qkv_proj" : "q_proj", m2 = phi3 ? "o_proj" : "v_proj";
  nlohmann::json cfg = {{"peft_type", "LORA"}, {"r", rank}, {"lora_alpha", alpha},
                        {"target_modules", {m1, m2}}, {"bias", "none"}};
  write_file(dir / "adapter_config.json", cfg.dump(2));
  const int64_t hd = head_dim(s);
  auto a_value = [](int, int64_t r, int64_t c) { return static_cast<float>(1000 + r * 100 + c); };
  auto b_value = [](int, int64_t r, int64_t c) { return static_cast<float>(2000 + r * 100 + c); };
  const int64_t out1 = phi3 ? (s.heads + 2 * s.kv_heads) * hd : s.heads * hd;
  const int64_t in2 = phi3 ? s.heads * hd : s.hidden, out2 = phi3 ? s.hidden : s.kv_heads * hd;
  std::vector<io::TensorSource> tensors;
  const std::string p = "base_model.model.model.layers.0.self_attn.";
  tensors.push_back(make(p + m1 + ".lora_A.weight", {rank, s.hidden}, a_value, 0));
  tensors.push_back(make(p + m1 + ".lora_B.weight", {out1, rank}, b_value, 0));
  tensors.push_back(make(p + m2 + ".lora_A.weight", {rank, in2}, a_value, 0));
  tensors.push_back(make(p + m2 + ".lora_B.weight", {out2, rank}, b_value, 0));
  io::write_safetensors((dir / "adapter_model.safetensors").string(), tensors);
}

}  // namespace axolotl::testing
