// A Hugging Face LLaMA/Mistral/Qwen2/Qwen3/Gemma-2/Gemma-3/Phi-3 folder (already merged) -> one GGUF model
// file, streamed tensor by tensor: read (bf16/f16/f32) -> float32 -> HF->GGUF name, the arch's transforms
// (llama Q/K permutation, Gemma norm + 1) -> the tensor's type
// (f32/f16/bf16/q8_0 as convert_hf_to_gguf.py; q4_0/q4_k_m as llama-quantize without an imatrix,
// including its per-tensor Q6_K choices and shape fallbacks) -> written. Peak memory: about two
// copies of the largest tensor. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "axolotl/export/ggml_type.h"

namespace axolotl::gguf {

struct ModelExportJob {
  std::string model_dir;      // config.json + model.safetensors (or index + shards)
  std::string config_dir;     // config.json from here when set (base_model_config)
  std::string tokenizer_dir;  // tokenizer files; empty = model_dir
  std::string output;         // the .gguf path (written to a temporary name, then renamed)
  FileType file_type = FileType::kMostlyF16;
  std::string name;           // general.name; empty = the model folder's name
  std::string tokenizer_pre;  // tokenizer.ggml.pre for a BPE vocabulary llama.cpp's hash table does not know
  int threads = 0;            // quantization workers; 0 = all cores
};

struct ExportResult {
  uint64_t bytes = 0;
  int64_t tensors = 0;
  std::map<std::string, int> types;    // ggml type name -> tensor count
  std::vector<std::string> fallbacks;  // "blk.0.ffn_down.weight: Q4_K -> F16 (172 columns)"
  std::vector<std::string> stop_tokens;
  std::string chat_template;
};

ExportResult export_model(const ModelExportJob& job);

// The counters llama-quantize keeps while choosing types (llama-quant.cpp quantize_state_impl).
struct QuantPlan {
  FileType file_type = FileType::kMostlyF16;
  int n_attention_wv = 0;
  int n_ffn_down = 0;
  bool has_output = false;  // false: token_embd doubles as the output (tied embeddings)
};

// The ggml type of one tensor (GGUF name, ne) under `plan`; `note` receives the fallback, if any.
GgmlType choose_type(const std::string& name, const std::vector<int64_t>& ne, const QuantPlan& plan,
                     std::string* note);

}  // namespace axolotl::gguf
