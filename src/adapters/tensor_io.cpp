// Tensor <-> safetensors record bridges.
#include "axolotl/adapters/tensor_io.h"

#include <cstring>

#include "axolotl/util/error.h"

namespace axolotl::adapters {
namespace {

struct Pair {
  io::DType io;
  torch::ScalarType torch;
};
constexpr Pair kPairs[] = {
    {io::DType::kF32, torch::kFloat32}, {io::DType::kF16, torch::kFloat16}, {io::DType::kBF16, torch::kBFloat16},
    {io::DType::kF64, torch::kFloat64}, {io::DType::kI64, torch::kInt64},   {io::DType::kI32, torch::kInt32},
    {io::DType::kI16, torch::kInt16},   {io::DType::kI8, torch::kInt8},     {io::DType::kU8, torch::kUInt8},
    {io::DType::kBool, torch::kBool},
};

}  // namespace

bool torch_dtype_of(io::DType dtype, torch::ScalarType* out) {
  for (const auto& p : kPairs) {
    if (p.io == dtype) {
      *out = p.torch;
      return true;
    }
  }
  return false;
}

io::DType io_dtype_of(torch::ScalarType dtype) {
  for (const auto& p : kPairs) {
    if (p.torch == dtype) return p.io;
  }
  throw Error(std::string("no safetensors dtype for torch ") + c10::toString(dtype));
}

torch::Tensor view_tensor(const io::SafetensorsFile& file, const io::TensorInfo& info) {
  torch::ScalarType dtype;
  if (!torch_dtype_of(info.dtype, &dtype)) {
    throw IoError(Diagnostic{Location{file.path(), 0, 0}, info.name, "unsupported tensor dtype",
                             std::string(io::dtype_name(info.dtype)), "F32, F16, BF16 or an integer type", {}});
  }
  // from_blob needs a mutable pointer; the mapping is read-only and nothing here writes through it.
  auto* data = const_cast<uint8_t*>(file.data(info));
  return torch::from_blob(data, info.shape, torch::TensorOptions().dtype(dtype));
}

io::TensorSource tensor_source(std::string name, const torch::Tensor& tensor) {
  auto t = tensor.detach().to(torch::kCPU).contiguous();
  io::TensorSource src{std::move(name), io_dtype_of(t.scalar_type()),
                       std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), {}};
  const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
  src.fill = [t, n](uint8_t* dst) {
    if (n > 0) std::memcpy(dst, t.data_ptr(), n);
  };
  return src;
}

}  // namespace axolotl::adapters
