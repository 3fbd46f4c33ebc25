// StringIdMap and PairMap: linear probing over power-of-two tables, kept at most half full.
#include "axolotl/data/tokenizer_json/flat_map.h"

namespace axolotl::data::tokjson {
namespace {
size_t table_size(size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  return cap;
}
}  // namespace

void StringIdMap::reserve(size_t n) {
  if (table_size(n) <= slots_.size()) return;
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(table_size(n), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void StringIdMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

void StringIdMap::set(std::string_view key, int32_t id) { put(key, id, true); }

bool StringIdMap::insert(std::string_view key, int32_t id) { return put(key, id, false); }

bool StringIdMap::put(std::string_view key, int32_t id, bool overwrite) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const auto h = static_cast<uint32_t>(hash_bytes(key));
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id < 0) {
      s = Slot{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id, h};
      arena_.append(key.data(), key.size());
      ++size_;
      return true;
    }
    if (s.hash == h && std::string_view(arena_.data() + s.off, s.len) == key) {
      if (overwrite) s.id = id;
      return false;
    }
  }
}

int32_t StringIdMap::find(std::string_view key) const {
  if (slots_.empty()) return -1;
  const auto h = static_cast<uint32_t>(hash_bytes(key));
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == h && s.len == key.size() && std::string_view(arena_.data() + s.off, s.len) == key) return s.id;
  }
}

void PairMap::reserve(size_t n) {
  if (table_size(n) <= slots_.size()) return;
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(table_size(n), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.value.id < 0) continue;
    size_t i = mix(s.key) & mask;
    while (slots_[i].value.id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void PairMap::set(uint64_t key, Value v) {
  if (2 * (size_ + 1) > slots_.size()) reserve(slots_.empty() ? 8 : slots_.size());
  const size_t mask = slots_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.value.id < 0) {
      s = Slot{key, v};
      ++size_;
      return;
    }
    if (s.key == key) {  // a repeated merge: the later one wins, as in tokenizers' HashMap
      s.value = v;
      return;
    }
  }
}

}  // namespace axolotl::data::tokjson
