// Open-addressing hash maps for the BPE hot path: token string -> id (keys in one arena) and merge
// pair -> (rank, id). Flat arrays keep lookups to one or two cache lines; insert-only, no erase.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace axolotl::data::tokjson {

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 (tokens are short)
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h ^ (h >> 29);
}

class StringIdMap {
 public:
  void reserve(size_t n);
  // Inserts or overwrites.
  void set(std::string_view key, int32_t id);
  // Inserts when absent; false (and no change) when `key` is already there.
  bool insert(std::string_view key, int32_t id);
  // -1 when absent.
  int32_t find(std::string_view key) const;
  size_t size() const { return size_; }
  void clear() {
    slots_.clear();
    arena_.clear();
    size_ = 0;
  }

 private:
  struct Slot {
    uint32_t off = 0, len = 0;
    int32_t id = -1;  // -1 = empty
    uint32_t hash = 0;
  };
  void grow();
  bool put(std::string_view key, int32_t id, bool overwrite);  // true when inserted
  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

class PairMap {
 public:
  struct Value {
    int32_t rank = -1, id = -1;
  };
  void reserve(size_t n);
  void set(uint64_t key, Value v);  // overwrites
  const Value* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value.id < 0) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

 private:
  static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    return k ^ (k >> 33);
  }
  struct Slot {
    uint64_t key = 0;
    Value value;
  };
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace axolotl::data::tokjson
