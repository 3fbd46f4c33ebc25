// Derived settings filled in after loading: precision (bf16: auto), weight dtype, padding and eval
// packing defaults, default LoRA targets; and the effective batch size. Torch-free: bf16 support is
// read from /proc/cpuinfo (the engine may still fall back at run time when CUDA says otherwise).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/config/config.h"

namespace axolotl::config {

// True when the `flags` line(s) of a /proc/cpuinfo text list avx512_bf16 or amx_bf16.
bool cpuinfo_has_bf16(const std::string& cpuinfo);
// cpuinfo_has_bf16 of this machine's /proc/cpuinfo (false when unreadable); cached.
bool cpu_has_bf16();

// Fills the derived values in place; `bf16_hardware` decides `precision: auto`.
void resolve(Config& c, bool bf16_hardware);

// WORLD_SIZE from the environment (1 when unset or not a positive integer).
int world_size();
// micro_batch_size × gradient_accumulation_steps × world_size().
int64_t effective_batch_size(const TrainingConfig& t);

// The LLaMA linear layer names LoRA may target, and the modules that may be trained in full.
const std::vector<std::string>& llama_linear_names();
const std::vector<std::string>& llama_saveable_modules();

}  // namespace axolotl::config
