// Hugging Face -> GGUF tensor names (gguf-py tensor_mapping.py, FORMATS2.md §3.6) and the llama Q/K
// row permutation (convert_hf_to_gguf.py LlamaModel.permute), as data and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace axolotl::gguf {

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; nullopt for tensors llama.cpp
// does not load (e.g. rotary inv_freq buffers). Accepts a leading "base_model.model." (PEFT) and a
// multimodal Gemma-3's text-tower spellings (language_model.model.*, model.language_model.*).
// `sandwich_norms` (Gemma-2/3): post_attention_layernorm -> post_attention_norm instead of ffn_norm.
std::optional<std::string> gguf_name(const std::string& hf_name, bool sandwich_norms = false);

// The layer index of a "blk.N." name, or -1.
int layer_of(const std::string& gguf_name);

// Reorders the rows of a (rows, cols) row-major matrix from HF rotate-half order to the interleaved
// order llama.cpp's NORM rope expects: per head of rows/n_head rows, HF row j (< d/2) goes to 2j and
// row d/2 + j to 2j + 1. In place (uses one row-block of scratch).
void permute_qk_rows(float* data, int64_t rows, int64_t cols, int64_t n_head);

}  // namespace axolotl::gguf
