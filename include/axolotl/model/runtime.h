// Where and how the model runs: device (cpu|cuda|auto), compute dtype, intra-op threads.
#pragma once

#include <torch/torch.h>

#include "axolotl/config/config.h"
#include "axolotl/model/llama_config.h"

namespace axolotl::model {

// auto -> CUDA when available, else CPU. Error when cuda is asked for and absent.
torch::Device resolve_device(config::Device device);

// An explicit dtype wins; auto -> the checkpoint's torch_dtype on CUDA, float32 on CPU (bf16/fp16
// matmuls are slow on most CPUs).
torch::ScalarType resolve_dtype(config::DType dtype, const LlamaConfig& model, const torch::Device& device);

// torch::set_num_threads(threads > 0 ? threads : $OMP_NUM_THREADS if set : hardware cores);
// Debian's LibTorch starts with 1.
void set_threads(int threads);

const char* dtype_name(torch::ScalarType dtype);  // "float32", "bfloat16", "float16"

}  // namespace axolotl::model
