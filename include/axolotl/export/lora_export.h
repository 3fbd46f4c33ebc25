// A PEFT LoRA adapter -> a GGUF adapter for llama.cpp's --lora (FORMATS2.md §3.7, llama.cpp
// convert_lora_to_gguf.py): tensors <gguf base>.weight.lora_a (ne [in, r]) and .lora_b (ne [r, out]),
// the llama Q/K permutation applied to lora_b rows, adapter.lora.alpha (f32). Torch-free.
#pragma once

#include <string>

#include "axolotl/export/ggml_type.h"

namespace axolotl::gguf {

struct LoraExportJob {
  std::string adapter_dir;  // adapter_config.json + adapter_model.safetensors
  std::string config_dir;   // the base model's config.json (arch, heads)
  std::string output;
  FileType file_type = FileType::kMostlyF16;  // f32, f16, bf16 or q8_0 (as convert_lora_to_gguf)
  std::string name;
};

struct LoraExportResult {
  int64_t pairs = 0;
  float alpha = 0;
  int64_t rank = 0;
  uint64_t bytes = 0;
};

LoraExportResult export_lora(const LoraExportJob& job);

}  // namespace axolotl::gguf
