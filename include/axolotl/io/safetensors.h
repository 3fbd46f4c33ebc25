// safetensors files (FORMATS.md §1): a validating memory-mapped reader and an atomic writer.
// Torch-free: tensors are raw bytes + dtype + shape; model/ converts them to torch::Tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace axolotl::io {

// The safetensors dtype strings, in the format's "increasing alignment" enum order.
enum class DType { kBool, kU8, kI8, kF8_E5M2, kF8_E4M3, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64 };

std::string_view dtype_name(DType dtype);           // "F32", "BF16", ...
bool parse_dtype(std::string_view name, DType* out);  // false for unknown strings
size_t dtype_size(DType dtype);                     // bytes per element

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets relative to the byte buffer, as in the header
  uint64_t end = 0;
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// A validated, memory-mapped safetensors file. Every check of the reference reader is applied on
// open (FORMATS.md §1.3); a bad file throws IoError naming the file (and the tensor, when one is at fault).
class SafetensorsFile {
 public:
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in offset order
  const TensorInfo* find(std::string_view name) const;                // nullptr when absent
  const TensorInfo& at(std::string_view name) const;                  // IoError when absent
  const uint8_t* data(const TensorInfo& info) const;                  // into the mapping
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_start_ = 0;
};

// One tensor to write: `fill` writes exactly nbytes into dst (so data can be produced lazily,
// e.g. dequantized or merged, without holding a second copy of the whole model).
struct TensorSource {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::function<void(uint8_t* dst)> fill;
  uint64_t nbytes() const;
};

// Convenience for tensors already in memory (copied by fill).
TensorSource tensor_from_bytes(std::string name, DType dtype, std::vector<int64_t> shape, const void* data);

// Writes a safetensors file the way the reference writer does (FORMATS.md §1.4: sorted by dtype
// then name, compact header padded with spaces to a multiple of 8), to a temporary name then renamed.
void write_safetensors(const std::string& path, const std::vector<TensorSource>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace axolotl::io
