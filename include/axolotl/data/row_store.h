// The tokenized rows of one split: concatenated int32 tokens with int64 row offsets, and labels
// either as a trained-token bitmap (label = token or -100, the common case) or as int32 values.
// Backed by owned vectors while building, or by a read-only memory map of a prepared cache file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "axolotl/data/row_encoder.h"

namespace axolotl::data {

class RowStore {
 public:
  RowStore();
  ~RowStore();
  RowStore(RowStore&&) noexcept;
  RowStore& operator=(RowStore&&) noexcept;

  void append(const TokenizedRow& row);
  size_t size() const { return rows_; }
  int64_t length(size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  int64_t total_tokens() const { return rows_ == 0 ? 0 : offsets_[rows_]; }
  const int32_t* tokens(size_t i) const { return tokens_ + offsets_[i]; }
  // Writes the row's labels (length(i) values) to `out`.
  void labels(size_t i, int32_t* out) const;
  TokenizedRow row(size_t i) const;
  int64_t trained_tokens(size_t i) const;  // labels != -100
  bool bitmap_labels() const { return bitmap_; }

  // A new store holding the rows `indices` of this one, in that order.
  RowStore select(const std::vector<size_t>& indices) const;

  // Binary file (magic "AXROWS01", version, row/token counts, label kind, then offsets, tokens,
  // labels sections, 8-byte aligned). Written to a temp name and renamed. Throws IoError.
  void save(const std::string& path) const;
  // Memory-maps a file written by save(); throws IoError when missing, truncated or of another version.
  static RowStore load(const std::string& path);

 private:
  void refresh_pointers();

  size_t rows_ = 0;
  bool bitmap_ = true;
  // owned storage (building)
  std::vector<int64_t> own_offsets_{0};
  std::vector<int32_t> own_tokens_;
  std::vector<uint8_t> own_bits_;
  std::vector<int32_t> own_labels_;  // used once a row breaks the bitmap rule
  // views (into owned storage or the map)
  const int64_t* offsets_ = nullptr;
  const int32_t* tokens_ = nullptr;
  const uint8_t* bits_ = nullptr;
  const int32_t* label_values_ = nullptr;
  struct Mapping;
  std::unique_ptr<Mapping> map_;
};

}  // namespace axolotl::data
