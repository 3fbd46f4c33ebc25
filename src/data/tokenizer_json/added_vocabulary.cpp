// Leftmost-longest matching of added tokens and the single_word / lstrip / rstrip rules
// (tokenizers/src/tokenizer/added_vocabulary.rs: find_matches).
#include "axolotl/data/tokenizer_json/added_vocabulary.h"

#include <algorithm>

#include "axolotl/data/tokenizer_json/utf8.h"

namespace axolotl::data::tokjson {
namespace {

// The code point ending at byte `end` of `s` (end > 0).
char32_t last_char(std::string_view s, size_t end) {
  size_t b = end - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80 && end - b < 4) --b;
  size_t len = 0;
  return utf8_decode(s.substr(0, end), b, &len);
}

}  // namespace

void TokenMatcher::add(const std::string& pattern, size_t index) {
  if (pattern.empty()) return;
  int node = 0;
  for (char c : pattern) {
    const auto b = static_cast<unsigned char>(c);
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | b;
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      const int fresh = static_cast<int>(terminal_.size());
      terminal_.push_back(-1);
      it = edges_.emplace(key, fresh).first;
    }
    node = it->second;
  }
  if (terminal_[static_cast<size_t>(node)] < 0) terminal_[static_cast<size_t>(node)] = static_cast<int64_t>(index);
  first_[static_cast<unsigned char>(pattern[0])] = true;
}

int TokenMatcher::child(int node, unsigned char byte) const {
  auto it = edges_.find((static_cast<uint64_t>(node) << 8) | byte);
  return it == edges_.end() ? -1 : it->second;
}

void TokenMatcher::split(std::string_view text, const std::vector<AddedToken>& tokens,
                         std::vector<Segment>& out) const {
  out.clear();
  size_t start_offset = 0;  // end of the previous accepted match
  size_t i = 0;
  while (i < text.size()) {
    if (!first_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    int node = 0;
    int64_t best = -1;
    size_t best_end = 0;
    for (size_t k = i; k < text.size(); ++k) {
      node = child(node, static_cast<unsigned char>(text[k]));
      if (node < 0) break;
      if (terminal_[static_cast<size_t>(node)] >= 0) {
        best = terminal_[static_cast<size_t>(node)];
        best_end = k + 1;
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = tokens[static_cast<size_t>(best)];
    size_t start = i, stop = best_end;
    i = best_end;  // the automaton continues after this match, accepted or not
    if (tok.single_word) {
      size_t len = 0;
      const bool start_space = start == 0 || !is_word_char(last_char(text, start));
      const bool stop_space = stop == text.size() || !is_word_char(utf8_decode(text, stop, &len));
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) {
      size_t s = start;
      while (s > 0) {
        const char32_t c = last_char(text, s);
        if (!is_unicode_whitespace(c)) break;
        size_t b = s - 1;
        while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        s = b;
      }
      start = std::max(s, start_offset);
    }
    if (tok.rstrip) {
      while (stop < text.size()) {
        size_t len = 0;
        if (!is_unicode_whitespace(utf8_decode(text, stop, &len))) break;
        stop += len;
      }
    }
    if (start_offset < start) out.push_back(Segment{text.substr(start_offset, start - start_offset), -1, start_offset});
    out.push_back(Segment{text.substr(start, stop - start), tok.id, start});
    start_offset = stop;
    i = std::max(i, stop);
  }
  if (start_offset < text.size()) out.push_back(Segment{text.substr(start_offset), -1, start_offset});
}

}  // namespace axolotl::data::tokjson
