// BPE word encoding as tokenizers/src/models/bpe/{model.rs, word.rs} (FORMATS2.md §1.2).
#include "axolotl/data/tokenizer_json/bpe_model.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>

#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/data/tokenizer_json/utf8.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

constexpr size_t kCacheCapacity = 20000;  // words per thread and model (HF keeps 10,000)
constexpr size_t kMaxCachedWord = 256;    // longer words are not cached (as HF's MAX_LENGTH)

std::atomic<uint64_t> next_instance{1};

// A per-thread word cache; reset whenever the thread switches to another model instance.
struct WordCache {
  uint64_t owner = 0;
  StringIdMap index;                               // word -> entry
  std::vector<std::pair<uint32_t, uint32_t>> entries;  // (offset, count) in ids
  std::vector<int32_t> ids;
  void clear() {
    index.clear();
    entries.clear();
    ids.clear();
  }
};
thread_local WordCache cache;

struct Symbol {
  int32_t id;
  int32_t prev, next;  // -1 at the ends
  bool alive;
};

struct Candidate {
  int32_t rank, pos, id;
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

BpeModel::BpeModel(const json& j, const std::string& where) : instance_(next_instance++) {
  const std::string type = component_type(j, "model", where);
  if (type != "BPE") unsupported("model", type, where, "BPE");
  if (j.contains("dropout") && !j["dropout"].is_null() && j["dropout"].get<double>() != 0.0) {
    throw Error(Diagnostic{{where, 0, 0}, "model.dropout", "BPE dropout is not supported", j["dropout"].dump(),
                           "null or 0", "dropout is a training-time option; set it to null"});
  }
  auto opt_string = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  prefix_ = opt_string("continuing_subword_prefix");
  suffix_ = opt_string("end_of_word_suffix");
  fuse_unk_ = j.value("fuse_unk", false);
  byte_fallback_ = j.value("byte_fallback", false);
  ignore_merges_ = j.value("ignore_merges", false);

  const json& vocab = member(j, "vocab", "model", where);
  if (!vocab.is_object()) {
    throw Error(Diagnostic{{where, 0, 0}, "model.vocab", "wrong type", vocab.type_name(), "an object token -> id", {}});
  }
  vocab_.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw Error(Diagnostic{{where, 0, 0}, "model.vocab." + token, "bad token id", id.dump(), "a non-negative integer",
                             {}});
    }
    const auto tid = static_cast<int32_t>(id.get<int64_t>());
    vocab_.set(token, tid);
    if (static_cast<size_t>(tid) >= id_to_token_.size()) id_to_token_.resize(static_cast<size_t>(tid) + 1);
    id_to_token_[static_cast<size_t>(tid)] = token;
  }
  const std::string unk = opt_string("unk_token");
  if (!unk.empty()) {
    const int32_t id = vocab_.find(unk);
    if (id < 0) throw Error(Diagnostic{{where, 0, 0}, "model.unk_token", "unk_token is not in the vocab", unk, {}, {}});
    unk_ = id;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[static_cast<size_t>(b)] = vocab_.find(name);
  }

  const json& merges = member(j, "merges", "model", where);
  merges_.reserve(merges.size());
  int32_t rank = 0;
  std::string merged;
  for (const auto& m : merges) {
    std::string_view a, b;
    if (m.is_string()) {
      const std::string& line = m.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos) {
        throw Error(Diagnostic{{where, 0, 0}, "model.merges", "bad merge", line, "\"a b\" (two tokens)", {}});
      }
      a = std::string_view(line).substr(0, sp);
      b = std::string_view(line).substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get_ref<const std::string&>();
      b = m[1].get_ref<const std::string&>();
    } else {
      throw Error(Diagnostic{{where, 0, 0}, "model.merges", "bad merge", m.dump(), "\"a b\" or [\"a\", \"b\"]", {}});
    }
    merged.assign(a);
    merged.append(b.substr(std::min(prefix_.size(), b.size())));
    const int32_t ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(merged);
    if (ia < 0 || ib < 0 || im < 0) {
      throw Error(Diagnostic{{where, 0, 0}, "model.merges", "merge token out of vocabulary",
                             std::string(a) + " + " + std::string(b),
                             "both parts and their concatenation in model.vocab", {}});
    }
    merges_.set(pair_key(ia, ib), PairMap::Value{rank, im});
    ++rank;
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const int32_t id = vocab_.find(token);
  if (id < 0) return std::nullopt;
  return id;
}

const std::string& BpeModel::id_to_token(int32_t id) const {
  static const std::string empty;
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return empty;
  return id_to_token_[static_cast<size_t>(id)];
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const int32_t id = vocab_.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (word.size() > kMaxCachedWord) {
    merge_word(word, out);
    return;
  }
  if (cache.owner != instance_) {
    cache.clear();
    cache.owner = instance_;
  }
  if (const int32_t e = cache.index.find(word); e >= 0) {
    const auto [off, n] = cache.entries[static_cast<size_t>(e)];
    out.insert(out.end(), cache.ids.begin() + off, cache.ids.begin() + off + n);
    return;
  }
  const size_t first = out.size();
  merge_word(word, out);
  if (cache.entries.size() >= kCacheCapacity) cache.clear();
  cache.index.set(word, static_cast<int32_t>(cache.entries.size()));
  cache.entries.emplace_back(static_cast<uint32_t>(cache.ids.size()), static_cast<uint32_t>(out.size() - first));
  cache.ids.insert(cache.ids.end(), out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::string piece;
  symbols.clear();
  bool last_unk = false;
  auto push = [&](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, n - 1, -1, true});
  };
  for (size_t i = 0; i < word.size();) {
    const size_t len = utf8_char_length(word, i);
    piece.clear();
    if (i > 0) piece += prefix_;
    piece.append(word.data() + i, len);
    if (i + len == word.size()) piece += suffix_;
    i += len;
    if (const int32_t id = vocab_.find(piece); id >= 0) {
      push(id);
      last_unk = false;
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (size_t k = i - len; k < i; ++k) all = all && byte_ids_[static_cast<unsigned char>(word[k])] >= 0;
      if (all) {
        for (size_t k = i - len; k < i; ++k) push(byte_ids_[static_cast<unsigned char>(word[k])]);
        last_unk = false;
        continue;
      }
    }
    if (unk_) {
      if (!(fuse_unk_ && last_unk)) push(*unk_);
      last_unk = true;
    }
  }
  for (size_t k = 0; k + 1 < symbols.size(); ++k) symbols[k].next = static_cast<int32_t>(k + 1);

  thread_local std::vector<Candidate> heap;
  heap.clear();
  auto consider = [&](int32_t pos) {
    const Symbol& s = symbols[static_cast<size_t>(pos)];
    if (s.next < 0) return;
    const PairMap::Value* m = merges_.find(pair_key(s.id, symbols[static_cast<size_t>(s.next)].id));
    if (m == nullptr) return;
    heap.push_back(Candidate{m->rank, pos, m->id});
    std::push_heap(heap.begin(), heap.end(), std::greater<Candidate>());
  };
  for (size_t k = 0; k + 1 < symbols.size(); ++k) consider(static_cast<int32_t>(k));
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Candidate>());
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& s = symbols[static_cast<size_t>(top.pos)];
    if (!s.alive || s.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(s.next)];
    const PairMap::Value* m = merges_.find(pair_key(s.id, right.id));
    if (m == nullptr || m->id != top.id) continue;  // stale
    s.id = top.id;
    right.alive = false;
    s.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
    if (s.prev >= 0) consider(s.prev);
    consider(top.pos);
  }
  for (const Symbol& s : symbols) {
    if (s.alive) out.push_back(s.id);
  }
}

}  // namespace axolotl::data::tokjson
