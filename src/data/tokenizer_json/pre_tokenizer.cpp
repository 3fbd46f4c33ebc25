// The pre-tokenizers of tokenizers/src/pre_tokenizers (FORMATS2.md §1.4).
#include "axolotl/data/tokenizer_json/pre_tokenizer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/data/tokenizer_json/regex.h"
#include "axolotl/data/tokenizer_json/utf8.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;
using Spans = std::vector<std::pair<size_t, size_t>>;

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Cuts `p` by the matches in `spans` (sorted, non-overlapping) with `behavior` (tokenizers normalizer.rs: split).
void apply_behavior(const Piece& p, const Spans& spans, Behavior behavior, bool invert, std::vector<Piece>& out) {
  // Alternating (span, is_match) list covering the whole text.
  thread_local std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;
  thread_local std::vector<std::pair<size_t, size_t>> cuts;
  parts.clear();
  cuts.clear();
  size_t prev = 0;
  for (const auto& [b, e] : spans) {
    if (b > prev) parts.push_back({{prev, b}, invert});
    parts.push_back({{b, e}, !invert});
    prev = e;
  }
  if (prev < p.text.size()) parts.push_back({{prev, p.text.size()}, invert});

  switch (behavior) {
    case Behavior::kRemoved:
      for (const auto& [s, m] : parts) {
        if (!m) cuts.push_back(s);
      }
      break;
    case Behavior::kIsolated:
      for (const auto& [s, m] : parts) cuts.push_back(s);
      break;
    case Behavior::kContiguous: {
      bool last_match = false;
      for (const auto& [s, m] : parts) {
        if (m && last_match && !cuts.empty()) cuts.back().second = s.second;
        else cuts.push_back(s);
        last_match = m;
      }
      break;
    }
    case Behavior::kMergedWithPrevious: {
      bool prev_match = false;
      for (const auto& [s, m] : parts) {
        if (m && !prev_match && !cuts.empty()) cuts.back().second = s.second;
        else cuts.push_back(s);
        prev_match = m;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool prev_match = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        const auto& [s, m] = *it;
        if (m && !prev_match && !cuts.empty()) cuts.back().first = s.first;
        else cuts.push_back(s);
        prev_match = m;
      }
      std::reverse(cuts.begin(), cuts.end());
      break;
    }
  }
  for (const auto& [b, e] : cuts) {
    if (e > b) out.push_back(Piece{p.text.substr(b, e - b), p.at_start && b == 0});
  }
}

class Split final : public PreTokenizer {
 public:
  Split(const std::string& pattern, Behavior behavior, bool invert, const std::string& where)
      : regex_(pattern, where), behavior_(behavior), invert_(invert) {}
  void split(std::vector<Piece>& pieces) const override {
    thread_local std::vector<Piece> out;
    out.clear();
    thread_local Spans spans;
    for (const auto& p : pieces) {
      regex_.find_all(p.text, spans);
      apply_behavior(p, spans, behavior_, invert_, out);
    }
    pieces.swap(out);
  }

 private:
  Regex regex_;
  Behavior behavior_;
  bool invert_;
};

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex, const std::string& where)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex ? std::make_unique<Regex>(kGpt2Pattern, where) : nullptr) {}
  void split(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_) {
      for (auto& p : pieces) {
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, " ");
      }
    }
    if (regex_) {
      std::vector<Piece> out;
      thread_local Spans spans;
      for (const auto& p : pieces) {
        regex_->find_all(p.text, spans);
        apply_behavior(p, spans, Behavior::kIsolated, false, out);
      }
      pieces.swap(out);
    }
    const auto& table = byte_to_unicode();
    for (auto& p : pieces) {
      size_t n = 0;
      for (char c : p.text) n += table[static_cast<unsigned char>(c)].size();
      std::string mapped(n, '\0');
      char* dst = mapped.data();
      for (char c : p.text) {
        const std::string& m = table[static_cast<unsigned char>(c)];
        dst[0] = m[0];
        if (m.size() > 1) dst[1] = m[1];
        dst += m.size();
      }
      p.text.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;
};

enum class Prepend { kAlways, kFirst, kNever };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string replacement, Prepend scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void split(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    for (auto& p : pieces) {
      std::string t;
      t.reserve(p.text.size() + replacement_.size());
      for (char c : p.text) {
        if (c == ' ') t += replacement_;
        else t += c;
      }
      const bool starts = t.compare(0, replacement_.size(), replacement_) == 0;
      if (scheme_ == Prepend::kAlways ? !starts : scheme_ == Prepend::kFirst && p.at_start && !starts) {
        t.insert(0, replacement_);
      }
      Piece q{std::move(t), p.at_start};
      if (!split_) {
        out.push_back(std::move(q));
        continue;
      }
      Spans spans;
      for (size_t i = q.text.find(replacement_); i != std::string::npos;
           i = q.text.find(replacement_, i + replacement_.size())) {
        spans.emplace_back(i, i + replacement_.size());
      }
      apply_behavior(q, spans, Behavior::kMergedWithNext, false, out);
    }
    pieces.swap(out);
  }

 private:
  std::string replacement_;
  Prepend scheme_;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void split(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Behavior behavior_of(const std::string& s, const std::string& where) {
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  throw Error(Diagnostic{{where, 0, 0}, "pre_tokenizer.Split.behavior", "unknown split behavior", s,
                         "Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous", {}});
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = component_type(j, "pre_tokenizer", where);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& child : member(j, "pretokenizers", "pre_tokenizer.Sequence", where)) {
      if (auto p = make_pre_tokenizer(child, where)) parts.push_back(std::move(p));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  if (type == "Split") {
    return std::make_unique<Split>(pattern_regex(j, "pre_tokenizer.Split", where),
                                   behavior_of(string_member(j, "behavior", "pre_tokenizer.Split", where), where),
                                   j.value("invert", false), where);
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(j.value("add_prefix_space", true), j.value("use_regex", true), where);
  }
  if (type == "Metaspace") {
    Prepend scheme = Prepend::kAlways;
    if (j.contains("prepend_scheme")) {
      const std::string s = string_member(j, "prepend_scheme", "pre_tokenizer.Metaspace", where);
      if (s == "always") scheme = Prepend::kAlways;
      else if (s == "first") scheme = Prepend::kFirst;
      else if (s == "never") scheme = Prepend::kNever;
      else throw Error(Diagnostic{{where, 0, 0}, "pre_tokenizer.Metaspace.prepend_scheme", "unknown scheme", s,
                                  "always, first or never", {}});
    } else if (j.contains("add_prefix_space") && !j.value("add_prefix_space", true)) {
      scheme = Prepend::kNever;
    }
    return std::make_unique<Metaspace>(j.value("replacement", std::string("\xE2\x96\x81")), scheme,
                                       j.value("split", true));
  }
  if (type == "Digits") {  // char::is_numeric, one match per char
    return std::make_unique<Split>("\\p{N}", j.value("individual_digits", false) ? Behavior::kIsolated
                                                                                 : Behavior::kContiguous,
                                   false, where);
  }
  if (type == "Whitespace") return std::make_unique<Split>("\\w+|[^\\w\\s]+", Behavior::kRemoved, true, where);
  if (type == "WhitespaceSplit") return std::make_unique<Split>("\\s+", Behavior::kRemoved, false, where);
  unsupported("pre_tokenizer", type, where,
              "Sequence, Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit");
}

}  // namespace axolotl::data::tokjson
