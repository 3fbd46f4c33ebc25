// The vocab / merges scanner: a cursor over the region with one function per JSON production.
#include "axolotl/data/tokenizer_json/table_scanner.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "axolotl/data/tokenizer_json/utf8.h"

namespace axolotl::data::tokjson {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view t) : t_(t) {}

  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ >= t_.size() || t_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool peek(char c) {
    skip_ws();
    return i_ < t_.size() && t_[i_] == c;
  }
  bool at_end() {
    skip_ws();
    return i_ == t_.size();
  }

  // A JSON string into `out` (decoded).
  bool string(std::string& out) {
    out.clear();
    if (!eat('"')) return false;
    for (;;) {
      size_t run = i_;  // copy plain bytes in runs
      while (run < t_.size()) {
        const auto c = static_cast<unsigned char>(t_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out.append(t_.data() + i_, run - i_);
      i_ = run;
      if (i_ >= t_.size()) return false;
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;  // a raw control character
      if (c >= 0x80) {
        const size_t len = utf8_valid_length(t_, i_);
        if (len == 0) return false;
        out.append(t_.data() + i_, len);
        i_ += len;
        continue;
      }
      if (!escape(out)) return false;
    }
  }

  // A non-negative integer without sign, fraction or exponent, at most INT32_MAX.
  bool id(int32_t& out) {
    skip_ws();
    const size_t start = i_;
    uint64_t v = 0;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      v = v * 10 + static_cast<uint64_t>(t_[i_] - '0');
      if (v > static_cast<uint64_t>(INT32_MAX)) return false;
      ++i_;
    }
    const size_t n = i_ - start;
    if (n == 0 || (n > 1 && t_[start] == '0')) return false;
    if (i_ < t_.size() && (t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E')) return false;
    out = static_cast<int32_t>(v);
    return true;
  }

 private:
  bool hex4(uint32_t& out) {
    if (i_ + 4 > t_.size()) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = t_[i_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') out |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') out |= static_cast<uint32_t>(h - 'A' + 10);
      else return false;
    }
    return true;
  }

  bool escape(std::string& out) {
    ++i_;  // the backslash
    if (i_ >= t_.size()) return false;
    const char e = t_[i_++];
    switch (e) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a lone low surrogate
    if (cp >= 0xD800 && cp <= 0xDBFF) {              // must pair with a low one
      uint32_t lo = 0;
      if (i_ + 2 > t_.size() || t_[i_] != '\\' || t_[i_ + 1] != 'u') return false;
      i_ += 2;
      if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    utf8_append(out, static_cast<char32_t>(cp));
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
};

// The index of the quote that ends the string whose text starts at `from` (text.size() if none):
// memchr to the next quote, which is the end unless an odd run of backslashes precedes it.
size_t closing_quote(std::string_view text, size_t from) {
  for (size_t at = from; at < text.size();) {
    const void* q = std::memchr(text.data() + at, '"', text.size() - at);
    if (q == nullptr) return text.size();
    const auto j = static_cast<size_t>(static_cast<const char*>(q) - text.data());
    size_t slashes = 0;
    while (j - slashes > from && text[j - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 0) return j;
    at = j + 1;
  }
  return text.size();
}

}  // namespace

std::optional<std::pair<Span, Span>> table_spans(std::string_view text) {
  struct Frame {
    bool object, expect_key;
  };
  std::vector<Frame> stack;
  std::string_view key1;                      // the current key in the root object
  enum { kNone, kVocab, kMerges } want = kNone;  // the next value at depth 2 is one of the tables
  size_t start = 0;
  std::optional<Span> vocab, merges;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      const size_t j = closing_quote(text, i + 1);
      if (j >= text.size()) return std::nullopt;
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        const std::string_view key = text.substr(i + 1, j - i - 1);
        stack.back().expect_key = false;
        if (stack.size() == 1) key1 = key;
        if (stack.size() == 2) {
          want = key1 != "model"            ? kNone
                 : key == "vocab" && !vocab ? kVocab
                 : key == "merges" && !merges ? kMerges
                                              : kNone;
        }
      }
      i = j;
    } else if (c == '{' || c == '[') {
      if (want != kNone && stack.size() == 2) {
        if (c != (want == kVocab ? '{' : '[')) return std::nullopt;
        start = i;
      }
      stack.push_back(Frame{c == '{', c == '{'});
    } else if (c == '}' || c == ']') {
      if (stack.empty()) return std::nullopt;
      stack.pop_back();
      if (want != kNone && stack.size() == 2) {
        (want == kVocab ? vocab : merges) = Span{start, i + 1};
        want = kNone;
        if (vocab && merges) return std::make_pair(*vocab, *merges);
      }
    } else if (c == ',') {
      if (!stack.empty() && stack.back().object) stack.back().expect_key = true;
    } else if (want != kNone && stack.size() == 2 && c != ':' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return std::nullopt;  // a table that is not an object / array
    }
  }
  return std::nullopt;
}

bool scan_vocab(std::string_view region, BpeVocab& out) {
  Cursor c(region);
  if (!c.eat('{')) return false;
  out.token_to_id.reserve(region.size() / 24);  // ~24 bytes per entry in the Hub's files
  std::vector<bool> assigned;
  size_t used = 0;
  std::string token;
  if (!c.peek('}')) {
    do {
      int32_t id = 0;
      if (!c.string(token) || !c.eat(':') || !c.id(id)) return false;
      if (!out.token_to_id.insert(token, id)) return false;  // a repeated key
      const auto at = static_cast<size_t>(id);
      if (at >= out.id_to_token.size()) {
        out.id_to_token.resize(std::max(at + 1, out.id_to_token.size() * 2));
        assigned.resize(out.id_to_token.size(), false);
      }
      if (assigned[at]) return false;  // two tokens on one id
      assigned[at] = true;
      used = std::max(used, at + 1);
      out.id_to_token[at] = token;
    } while (c.eat(','));
  }
  if (!c.eat('}') || !c.at_end()) return false;
  out.id_to_token.resize(used);
  return true;
}

bool scan_merges(std::string_view region, BpeMergeList& out) {
  Cursor c(region);
  if (!c.eat('[')) return false;
  out.arena.reserve(region.size() / 2);
  out.items.reserve(region.size() / 16);
  std::string a, b;
  auto put = [&out](const std::string& s) {
    const auto off = static_cast<uint32_t>(out.arena.size());
    out.arena += s;
    return off;
  };
  if (!c.peek(']')) {
    do {
      BpeMergeList::Merge m;
      if (c.eat('[')) {
        if (!c.string(a) || !c.eat(',') || !c.string(b) || !c.eat(']')) return false;
        m.a_off = put(a);
        m.a_len = static_cast<uint32_t>(a.size());
        m.b_off = put(b);
        m.b_len = static_cast<uint32_t>(b.size());
        m.pair = true;
      } else {
        if (!c.string(a)) return false;
        m.a_off = put(a);
        m.a_len = static_cast<uint32_t>(a.size());
      }
      out.items.push_back(m);
    } while (c.eat(','));
  }
  return c.eat(']') && c.at_end();
}

}  // namespace axolotl::data::tokjson
