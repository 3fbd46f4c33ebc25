// BPE word encoding as tokenizers/src/models/bpe/{model.rs, word.rs} (FORMATS2.md §1.2).
#include "axolotl/data/tokenizer_json/bpe_model.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>
#include <thread>

#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/data/tokenizer_json/tokenizer_file.h"
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
  read_options(j, where);
  const json& vocab = member(j, "vocab", "model", where);
  if (!vocab.is_object()) {
    throw Error(Diagnostic{{where, 0, 0}, "model.vocab", "wrong type", vocab.type_name(), "an object token -> id", {}});
  }
  BpeVocab v;
  v.token_to_id.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw Error(Diagnostic{{where, 0, 0}, "model.vocab." + token, "bad token id", id.dump(), "a non-negative integer",
                             {}});
    }
    const auto tid = static_cast<int32_t>(id.get<int64_t>());
    v.token_to_id.set(token, tid);
    if (static_cast<size_t>(tid) >= v.id_to_token.size()) v.id_to_token.resize(static_cast<size_t>(tid) + 1);
    v.id_to_token[static_cast<size_t>(tid)] = token;
  }
  set_vocab(std::move(v), where);

  const json& merges = member(j, "merges", "model", where);
  merges_.reserve(merges.size());
  int32_t rank = 0;
  for (const auto& m : merges) {
    std::string_view a, b;
    if (m.is_string()) {
      const std::string& line = m.get_ref<const std::string&>();
      const MergeLine kind = split_merge_line(line, a, b);
      if (kind == MergeLine::kVersion) continue;
      if (kind == MergeLine::kBad) bad_merge_line(line, where);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get_ref<const std::string&>();
      b = m[1].get_ref<const std::string&>();
    } else {
      throw Error(Diagnostic{{where, 0, 0}, "model.merges", "bad merge", m.dump(), "\"a b\" or [\"a\", \"b\"]", {}});
    }
    add_merge(a, b, rank++, where);
  }
}

BpeModel::BpeModel(const json& j, BpeTables tables, const std::string& where) : instance_(next_instance++) {
  read_options(j, where);
  set_vocab(std::move(tables.vocab), where);
  // The vocab lookups (three per merge, mostly cache misses) run on two threads; the table is then
  // filled in file order, so repeated merges and the first error are those of the one-thread loop.
  const BpeMergeList& merges = tables.merges;
  const size_t n = merges.items.size();
  struct Resolved {
    int32_t a, b, merged;  // ids, -1 when absent; a == kSkip for a "#version" line, kBad for a bad line
  };
  constexpr int32_t kSkip = -2, kBad = -3;
  std::vector<Resolved> resolved(n);
  auto resolve = [&](size_t lo, size_t hi) {
    std::string scratch;
    for (size_t i = lo; i < hi; ++i) {
      const BpeMergeList::Merge& m = merges.items[i];
      std::string_view a = merges.a(m), b = merges.b(m);
      if (!m.pair) {
        const MergeLine kind = split_merge_line(a, a, b);
        if (kind != MergeLine::kMerge) {
          resolved[i] = Resolved{kind == MergeLine::kVersion ? kSkip : kBad, -1, -1};
          continue;
        }
      }
      resolved[i] = Resolved{vocab_.find(a), vocab_.find(b), vocab_.find(merged_token(a, b, scratch))};
    }
  };
  const bool two = n >= 4096 && std::thread::hardware_concurrency() > 1;
  std::thread helper;
  if (two) helper = std::thread(resolve, n / 2, n);
  resolve(0, two ? n / 2 : n);
  if (two) helper.join();
  merges_.reserve(n);
  int32_t rank = 0;
  for (size_t i = 0; i < n; ++i) {
    const Resolved& r = resolved[i];
    if (r.a == kSkip) continue;
    const BpeMergeList::Merge& m = merges.items[i];
    if (r.a == kBad) bad_merge_line(merges.a(m), where);
    if (r.a < 0 || r.b < 0 || r.merged < 0) {
      std::string_view a = merges.a(m), b = merges.b(m);
      if (!m.pair) split_merge_line(a, a, b);
      merge_out_of_vocab(a, b, where);
    }
    merges_.set(pair_key(r.a, r.b), PairMap::Value{rank++, r.merged});
  }
}

void BpeModel::read_options(const json& j, const std::string& where) {
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
  unk_token_ = opt_string("unk_token");
  fuse_unk_ = j.value("fuse_unk", false);
  byte_fallback_ = j.value("byte_fallback", false);
  ignore_merges_ = j.value("ignore_merges", false);
}

void BpeModel::set_vocab(BpeVocab v, const std::string& where) {
  vocab_ = std::move(v.token_to_id);
  id_to_token_ = std::move(v.id_to_token);
  if (!unk_token_.empty()) {
    const int32_t id = vocab_.find(unk_token_);
    if (id < 0) {
      throw Error(Diagnostic{{where, 0, 0}, "model.unk_token", "unk_token is not in the vocab", unk_token_, {}, {}});
    }
    unk_ = id;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[static_cast<size_t>(b)] = vocab_.find(name);
  }
}

BpeModel::MergeLine BpeModel::split_merge_line(std::string_view line, std::string_view& a, std::string_view& b) {
  if (line.rfind("#version", 0) == 0) return MergeLine::kVersion;
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos) return MergeLine::kBad;
  b = line.substr(sp + 1);
  a = line.substr(0, sp);
  return MergeLine::kMerge;
}

void BpeModel::bad_merge_line(std::string_view line, const std::string& where) {
  throw Error(Diagnostic{{where, 0, 0}, "model.merges", "bad merge", std::string(line), "\"a b\" (two tokens)", {}});
}

void BpeModel::merge_out_of_vocab(std::string_view a, std::string_view b, const std::string& where) {
  throw Error(Diagnostic{{where, 0, 0}, "model.merges", "merge token out of vocabulary",
                         std::string(a) + " + " + std::string(b), "both parts and their concatenation in model.vocab",
                         {}});
}

const std::string& BpeModel::merged_token(std::string_view a, std::string_view b, std::string& scratch) const {
  scratch.assign(a);
  scratch.append(b.substr(std::min(prefix_.size(), b.size())));
  return scratch;
}

void BpeModel::add_merge(std::string_view a, std::string_view b, int32_t rank, const std::string& where) {
  thread_local std::string scratch;
  const int32_t ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(merged_token(a, b, scratch));
  if (ia < 0 || ib < 0 || im < 0) merge_out_of_vocab(a, b, where);
  merges_.set(pair_key(ia, ib), PairMap::Value{rank, im});
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
