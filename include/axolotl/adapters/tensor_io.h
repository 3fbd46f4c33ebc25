// Bridges between safetensors records (io/, torch-free) and torch tensors for the adapter files and
// the streaming merge: dtype mapping, zero-copy views of mapped data, write sources that own a tensor.
#pragma once

#include <torch/torch.h>

#include <string>

#include "axolotl/io/safetensors.h"

namespace axolotl::adapters {

// F32/F16/BF16/F64/I64/I32/I16/I8/U8/BOOL <-> torch; false (or Error) for the rest.
bool torch_dtype_of(io::DType dtype, torch::ScalarType* out);
io::DType io_dtype_of(torch::ScalarType dtype);  // Error when safetensors has no such dtype here

// A CPU tensor viewing the mapped bytes of `info` (no copy; valid while `file` is open; never write).
torch::Tensor view_tensor(const io::SafetensorsFile& file, const io::TensorInfo& info);

// A write source that keeps `tensor` (made contiguous on the CPU) alive until it is written.
io::TensorSource tensor_source(std::string name, const torch::Tensor& tensor);

}  // namespace axolotl::adapters
