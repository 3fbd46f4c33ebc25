// GgufWriter: a GGUF v3 file built from key/values and lazily filled tensors (FORMATS2.md §3.1).
// Streams one tensor at a time (peak memory: the largest tensor's bytes), pads every tensor to the
// alignment, and writes to a temporary name renamed on success, so no half-written file ever exists.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "axolotl/export/ggml_type.h"
#include "axolotl/export/gguf_value.h"

namespace axolotl::gguf {

struct TensorEntry {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the fastest-varying (the PyTorch shape reversed)
  GgmlType type = GgmlType::kF32;
  std::function<void(uint8_t* dst)> fill;  // writes exactly nbytes() into dst
  int64_t numel() const;
  uint64_t nbytes() const;
};

class GgufWriter {
 public:
  explicit GgufWriter(std::string path) : path_(std::move(path)) {}

  // Keys are written in the order added; a duplicate key or tensor name is an Error.
  void set(const std::string& key, Value value);
  bool has(const std::string& key) const;
  void add_tensor(TensorEntry tensor);
  const std::vector<TensorEntry>& tensors() const { return tensors_; }

  // Writes the file; returns its size in bytes. `progress(i, n)` is called after each tensor.
  uint64_t write(const std::function<void(size_t, size_t)>& progress = {});

  // The header bytes (magic .. tensor infos, without the padding before the data).
  std::string header() const;

 private:
  std::string path_;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorEntry> tensors_;
  uint32_t alignment() const;
};

inline uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

}  // namespace axolotl::gguf
