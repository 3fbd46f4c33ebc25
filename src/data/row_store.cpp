// RowStore: building, bitmap/int32 labels, and the mmap-loaded binary file.
#include "axolotl/data/row_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

constexpr char kMagic[8] = {'A', 'X', 'R', 'O', 'W', 'S', '0', '1'};
constexpr uint32_t kVersion = 1;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t label_kind;  // 0 bitmap, 1 int32
  uint64_t rows;
  uint64_t tokens;
  uint64_t offsets_pos, tokens_pos, labels_pos, file_size;
};

uint64_t align8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  Diagnostic d;
  d.where.file = path;
  d.message = message;
  d.hint = "delete the prepared folder to rebuild it";
  throw IoError(d);
}

}  // namespace

struct RowStore::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr) munmap(addr, size);
  }
};

RowStore::RowStore() { refresh_pointers(); }
RowStore::~RowStore() = default;
RowStore::RowStore(RowStore&& o) noexcept { *this = std::move(o); }
RowStore& RowStore::operator=(RowStore&& o) noexcept {
  rows_ = o.rows_;
  bitmap_ = o.bitmap_;
  own_offsets_ = std::move(o.own_offsets_);
  own_tokens_ = std::move(o.own_tokens_);
  own_bits_ = std::move(o.own_bits_);
  own_labels_ = std::move(o.own_labels_);
  map_ = std::move(o.map_);
  if (map_) {
    offsets_ = o.offsets_;
    tokens_ = o.tokens_;
    bits_ = o.bits_;
    label_values_ = o.label_values_;
  } else {
    refresh_pointers();
  }
  o.rows_ = 0;
  o.own_offsets_.assign(1, 0);
  o.map_.reset();
  o.refresh_pointers();
  return *this;
}

void RowStore::refresh_pointers() {
  offsets_ = own_offsets_.data();
  tokens_ = own_tokens_.data();
  bits_ = own_bits_.data();
  label_values_ = own_labels_.data();
}

void RowStore::append(const TokenizedRow& row) {
  if (map_) throw Error("RowStore: cannot append to a memory-mapped store");
  int64_t base = own_offsets_.back();
  for (size_t j = 0; j < row.input_ids.size() && bitmap_; ++j) {
    if (row.labels[j] != kIgnoreIndex && row.labels[j] != row.input_ids[j]) {
      // Leave bitmap mode: materialise the labels written so far.
      own_labels_.resize(static_cast<size_t>(base));
      for (int64_t k = 0; k < base; ++k) {
        bool on = (own_bits_[k >> 3] >> (k & 7)) & 1;
        own_labels_[k] = on ? own_tokens_[k] : kIgnoreIndex;
      }
      own_bits_.clear();
      bitmap_ = false;
    }
  }
  own_tokens_.insert(own_tokens_.end(), row.input_ids.begin(), row.input_ids.end());
  if (bitmap_) {
    own_bits_.resize((own_tokens_.size() + 7) / 8, 0);
    for (size_t j = 0; j < row.labels.size(); ++j) {
      int64_t k = base + static_cast<int64_t>(j);
      if (row.labels[j] != kIgnoreIndex) own_bits_[k >> 3] |= static_cast<uint8_t>(1u << (k & 7));
    }
  } else {
    own_labels_.insert(own_labels_.end(), row.labels.begin(), row.labels.end());
  }
  own_offsets_.push_back(base + static_cast<int64_t>(row.input_ids.size()));
  ++rows_;
  refresh_pointers();
}

void RowStore::labels(size_t i, int32_t* out) const {
  int64_t b = offsets_[i], e = offsets_[i + 1];
  if (!bitmap_) {
    std::memcpy(out, label_values_ + b, sizeof(int32_t) * (e - b));
    return;
  }
  for (int64_t k = b; k < e; ++k) out[k - b] = ((bits_[k >> 3] >> (k & 7)) & 1) ? tokens_[k] : kIgnoreIndex;
}

TokenizedRow RowStore::row(size_t i) const {
  TokenizedRow r;
  r.input_ids.assign(tokens(i), tokens(i) + length(i));
  r.labels.resize(length(i));
  labels(i, r.labels.data());
  return r;
}

int64_t RowStore::trained_tokens(size_t i) const {
  int64_t n = 0;
  for (int64_t k = offsets_[i]; k < offsets_[i + 1]; ++k) {
    n += bitmap_ ? ((bits_[k >> 3] >> (k & 7)) & 1) : (label_values_[k] != kIgnoreIndex);
  }
  return n;
}

RowStore RowStore::select(const std::vector<size_t>& indices) const {
  RowStore out;
  for (size_t i : indices) out.append(row(i));
  return out;
}

void RowStore::save(const std::string& path) const {
  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.label_kind = bitmap_ ? 0 : 1;
  h.rows = rows_;
  h.tokens = static_cast<uint64_t>(total_tokens());
  h.offsets_pos = align8(sizeof(Header));
  h.tokens_pos = align8(h.offsets_pos + 8 * (rows_ + 1));
  h.labels_pos = align8(h.tokens_pos + 4 * h.tokens);
  uint64_t labels_bytes = bitmap_ ? (h.tokens + 7) / 8 : 4 * h.tokens;
  h.file_size = h.labels_pos + labels_bytes;

  io::AtomicFile out(path);
  uint64_t at = 0;
  auto put = [&](const void* p, uint64_t n) {
    out.write(p, n);
    at += n;
  };
  auto pad_to = [&](uint64_t pos) {
    static const char zeros[8] = {};
    put(zeros, pos - at);
  };
  put(&h, sizeof(h));
  pad_to(h.offsets_pos);
  put(offsets_, 8 * (rows_ + 1));
  pad_to(h.tokens_pos);
  put(tokens_, 4 * h.tokens);
  pad_to(h.labels_pos);
  put(bitmap_ ? static_cast<const void*>(bits_) : label_values_, labels_bytes);
  out.commit();
}

RowStore RowStore::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "cannot open prepared cache file");
  struct stat st {};
  ::fstat(fd, &st);
  size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(Header)) {
    ::close(fd);
    fail(path, "prepared cache file is truncated");
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (addr == MAP_FAILED) fail(path, "cannot memory-map prepared cache file");
  RowStore s;
  s.map_ = std::make_unique<Mapping>();
  s.map_->addr = addr;
  s.map_->size = size;
  Header h;
  std::memcpy(&h, addr, sizeof(h));
  if (std::memcmp(h.magic, kMagic, 8) != 0) fail(path, "not a prepared rows file (bad magic)");
  if (h.version != kVersion) fail(path, "prepared rows file of another version " + std::to_string(h.version));
  if (h.file_size != size || h.labels_pos > size || h.tokens_pos + 4 * h.tokens > size) {
    fail(path, "prepared cache file is truncated or corrupt");
  }
  auto* base = static_cast<const char*>(addr);
  s.rows_ = h.rows;
  s.bitmap_ = h.label_kind == 0;
  s.offsets_ = reinterpret_cast<const int64_t*>(base + h.offsets_pos);
  s.tokens_ = reinterpret_cast<const int32_t*>(base + h.tokens_pos);
  s.bits_ = reinterpret_cast<const uint8_t*>(base + h.labels_pos);
  s.label_values_ = reinterpret_cast<const int32_t*>(base + h.labels_pos);
  if (s.offsets_[h.rows] != static_cast<int64_t>(h.tokens)) fail(path, "prepared cache offsets are corrupt");
  return s;
}

}  // namespace axolotl::data
