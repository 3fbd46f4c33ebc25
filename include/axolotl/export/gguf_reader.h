// GgufFile: a validating, memory-mapped GGUF v3 reader (FORMATS2.md §3.1) for `axolotl inspect` and
// the tests. Checks what gguf.cpp checks on load (magic, version, types, names, alignment, exactly
// consecutive offsets, data inside the file) and throws IoError naming the file and the field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axolotl/export/ggml_type.h"
#include "axolotl/export/gguf_value.h"

namespace axolotl::gguf {

struct TensorInfo {
  std::string name;
  std::vector<int64_t> ne;
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;  // relative to the data blob
  uint64_t nbytes = 0;
  int64_t numel() const;
};

class GgufFile {
 public:
  static std::unique_ptr<GgufFile> open(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_start() const { return data_start_; }
  uint64_t file_size() const { return size_; }
  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  const Value* find(std::string_view key) const;  // nullptr when absent
  const Value& at(std::string_view key) const;    // IoError when absent
  const TensorInfo* tensor(std::string_view name) const;
  const uint8_t* data(const TensorInfo& t) const { return map_ + data_start_ + t.offset; }
  // The tensor as float32 (F32/F16/BF16/Q8_0/Q4_0/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K); IoError for other types.
  std::vector<float> dequantize(const TensorInfo& t) const;

 private:
  GgufFile() = default;
  std::string path_;
  const uint8_t* map_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_start_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace axolotl::gguf
