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

// The safetensors dtype strings, in the format's "increasing alignment" enum order (FORMATS.md §1.2);
// the writer sorts by this order, so the enumerators must stay in it.
enum class DType {
  kBool, kF4, kF6_E2M3, kF6_E3M2, kU8, kI8, kF8_E5M2, kF8_E4M3, kF8_E8M0, kF8_E4M3FNUZ, kF8_E5M2FNUZ,
  kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kC64, kF64, kI64, kU64
};

std::string_view dtype_name(DType dtype);           // "F32", "BF16", ...
bool parse_dtype(std::string_view name, DType* out);  // false for unknown strings
size_t dtype_bits(DType dtype);                     // bits per element (4 for F4, 6 for F6_*)
size_t dtype_size(DType dtype);                     // bytes per element; 0 for the sub-byte F4 and F6_*

// Limits of the format: header length (tensor.rs MAX_HEADER_SIZE) and shape/offset integers
// (schema.json "size_t", 2^48 - 1).
inline constexpr uint64_t kMaxHeaderSize = 100000000;
inline constexpr uint64_t kMaxSafetensorsInt = (uint64_t{1} << 48) - 1;

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets relative to the byte buffer, as in the header
  uint64_t end = 0;
  int64_t numel() const;  // product of shape; 1 for a scalar
  uint64_t nbytes() const { return end - begin; }
};

// The validated content of a safetensors buffer (whole file in memory or mapped).
struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // sorted by data_offsets
  std::map<std::string, std::string> metadata;
  uint64_t header_size = 0;  // N
  uint64_t data_start = 0;   // 8 + N
};

// Applies every check of the reference reader, in its order (FORMATS.md §1.3), to `size` bytes at
// `bytes`; `file` names the source in errors. Never reads outside [bytes, bytes + size).
SafetensorsHeader parse_safetensors(const uint8_t* bytes, size_t size, const std::string& file);

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
  // Drops the tensor's pages from this process's resident set once they have been copied out (the
  // page cache keeps them): read mappings would otherwise count the whole checkpoint in peak RSS.
  void release(const TensorInfo& info) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t file_size() const { return map_size_; }

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
  uint64_t nbytes() const;  // IoError when the shape is invalid for the dtype
};

// Convenience for tensors already in memory (copied by fill). `data` must stay valid until the
// source has been written (for ShardedWriter: until its shard is flushed or finish()).
TensorSource tensor_from_bytes(std::string name, DType dtype, std::vector<int64_t> shape, const void* data);
// Same, but the source owns its bytes (size must equal nbytes()), so there is no lifetime to watch.
TensorSource tensor_owning_bytes(std::string name, DType dtype, std::vector<int64_t> shape,
                                 std::vector<uint8_t> bytes);

// Writes a safetensors file the way the reference writer does (FORMATS.md §1.4: sorted by dtype
// then name, compact header padded with spaces to a multiple of 8), to a temporary name then renamed.
// Data is streamed one tensor at a time (peak memory: the largest tensor). An empty `metadata`
// writes no `__metadata__` entry.
void write_safetensors(const std::string& path, const std::vector<TensorSource>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// The exact header bytes (JSON + space padding, without the 8-byte length) the writer emits for
// these tensors, and the order it writes their data in (indices into `tensors`).
std::string safetensors_header_json(const std::vector<TensorSource>& tensors,
                                    const std::map<std::string, std::string>& metadata,
                                    std::vector<size_t>* order = nullptr);

}  // namespace axolotl::io
