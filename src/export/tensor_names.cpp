// HF -> GGUF names (llama.cpp gguf-py/gguf/tensor_mapping.py and constants.py TENSOR_NAMES).
#include "axolotl/export/tensor_names.h"

#include <cstring>
#include <vector>

#include "axolotl/model/family.h"

namespace axolotl::gguf {
namespace {

struct Rename {
  const char* hf;    // suffix after "model.layers.N." (per layer) or the full name (global)
  const char* gguf;  // without the ".weight"/".bias" suffix
};

constexpr Rename kGlobal[] = {
    {"model.embed_tokens", "token_embd"},
    {"model.norm", "output_norm"},
    {"lm_head", "output"},
};

constexpr Rename kPerLayer[] = {
    {"input_layernorm", "attn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"self_attn.q_norm", "attn_q_norm"},        // Qwen3, Gemma-3
    {"self_attn.k_norm", "attn_k_norm"},
    {"self_attn.qkv_proj", "attn_qkv"},         // Phi-3: q, k, v rows fused
    {"mlp.gate_up_proj", "ffn_up"},             // Phi-3: gate rows then up rows (llama.cpp's fused SwiGLU)
    {"pre_feedforward_layernorm", "ffn_norm"},  // Gemma-2/3
    {"post_feedforward_layernorm", "post_ffw_norm"},
};

bool starts_with(const std::string& s, const char* p) { return s.compare(0, std::strlen(p), p) == 0; }

}  // namespace

std::optional<std::string> gguf_name(const std::string& hf_name, bool sandwich_norms) {
  std::string name = hf_name;
  if (starts_with(name, "base_model.model.")) name = name.substr(17);
  // A multimodal Gemma-3's text tower (language_model.model.*, model.language_model.*): its causal-LM
  // names, as convert_hf_to_gguf's Gemma3Model strips "language_model.".
  name = model::causal_lm_name(name);
  std::string suffix;
  for (const char* s : {".weight", ".bias"}) {
    const size_t n = std::strlen(s);
    if (name.size() > n && name.compare(name.size() - n, n, s) == 0) {
      suffix = s;
      name.resize(name.size() - n);
      break;
    }
  }
  if (suffix.empty()) return std::nullopt;
  for (const auto& r : kGlobal) {
    if (name == r.hf) return std::string(r.gguf) + suffix;
  }
  if (!starts_with(name, "model.layers.")) return std::nullopt;
  const size_t dot = name.find('.', 13);
  if (dot == std::string::npos) return std::nullopt;
  const std::string layer = name.substr(13, dot - 13);
  if (layer.empty() || layer.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::string rest = name.substr(dot + 1);
  // Gemma-2/3 have both a post-attention and a pre-FFN norm: HF's post_attention_layernorm is then
  // llama.cpp's ATTN_POST_NORM, not the FFN_NORM it is for llama/qwen/phi3.
  if (sandwich_norms && rest == "post_attention_layernorm") return "blk." + layer + ".post_attention_norm" + suffix;
  for (const auto& r : kPerLayer) {
    if (rest == r.hf) return "blk." + layer + "." + r.gguf + suffix;
  }
  return std::nullopt;
}

int layer_of(const std::string& name) {
  if (!starts_with(name, "blk.")) return -1;
  return std::atoi(name.c_str() + 4);
}

void permute_qk_rows(float* data, int64_t rows, int64_t cols, int64_t n_head) {
  const int64_t d = rows / n_head;  // rows per head
  std::vector<float> scratch(static_cast<size_t>(d * cols));
  for (int64_t h = 0; h < n_head; ++h) {
    float* block = data + h * d * cols;
    for (int64_t j = 0; j < d / 2; ++j) {
      std::memcpy(&scratch[(2 * j) * cols], block + j * cols, cols * sizeof(float));
      std::memcpy(&scratch[(2 * j + 1) * cols], block + (d / 2 + j) * cols, cols * sizeof(float));
    }
    std::memcpy(block, scratch.data(), scratch.size() * sizeof(float));
  }
}

}  // namespace axolotl::gguf
