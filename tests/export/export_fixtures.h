// A tiny HF folder of any GGUF-exported family, written without LibTorch (config.json + model.safetensors
// with values that encode their (row, column), so permutations can be checked), and a PEFT adapter for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace axolotl::testing {

struct TinyLlamaSpec {
  int64_t hidden = 64, intermediate = 96, layers = 2, heads = 4, kv_heads = 2, vocab = 20;
  bool tied = false;
  // llama, qwen2 (q/k/v biases), qwen3 (q/k norms, head_dim), gemma2 (four norms, softcaps), gemma3
  // (gemma2's norms + q/k norms), phi3 (fused qkv_proj and gate_up_proj); tests/reference/
  // gguf_arch_reference.py builds the same folders.
  std::string family = "llama";
  int64_t head_dim = 0;  // 0: hidden / heads (and no head_dim in config.json)
  // gemma3 only: "legacy" or "current" writes a Gemma3ForConditionalGeneration folder instead (text_config,
  // the text tower as language_model.model.* / model.language_model.*, four small vision-tower and
  // projector tensors: vision_tower.vision_model.*, multi_modal_projector.*, under model. when current).
  std::string multimodal;
  std::string rope_scaling;  // JSON object text for config.json's rope_scaling; empty: none
};

// Value of element (r, c) of tensor number `t`: t * 1e4 + r * 100 + c (exact in float32 for these sizes).
float fixture_value(int t, int64_t r, int64_t c);

// Writes config.json and model.safetensors (F32) into `dir`; tensor number t is the t-th HF name (as
// the file spells it) in sorted order, which fixture_index() returns (-1 when absent).
void write_tiny_llama(const std::filesystem::path& dir, const TinyLlamaSpec& spec);
int fixture_index(const TinyLlamaSpec& spec, const std::string& name);

// adapter_config.json (r, alpha) + adapter_model.safetensors with A/B for q_proj and v_proj of layer 0
// (qkv_proj and o_proj for phi3);
// A values 1000 + r*100 + c, B values 2000 + r*100 + c.
void write_tiny_adapter(const std::filesystem::path& dir, const TinyLlamaSpec& spec, int rank, double alpha);

}  // namespace axolotl::testing
