// Added tokens of tokenizer.json (FORMATS2.md §1.6): found leftmost-longest in the raw text
// (normalized: false) or in each normalized segment (normalized: true), with single_word, lstrip
// and rstrip applied as tokenizers' added_vocabulary.rs does; the rest is left to the model.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace axolotl::data::tokjson {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// One part of a text: an added token (id >= 0) or plain text to normalize and encode (id == -1).
struct Segment {
  std::string_view text;
  int32_t id = -1;
  size_t offset = 0;  // byte offset in the text given to split()
};

// A set of literal patterns matched leftmost-longest (a byte trie; equivalent to Aho-Corasick here).
class TokenMatcher {
 public:
  void add(const std::string& pattern, size_t index);
  // Splits `text` by the matches (after the option rules); tokens[index] describes a match.
  void split(std::string_view text, const std::vector<AddedToken>& tokens, std::vector<Segment>& out) const;
  bool empty() const { return terminal_.size() <= 1; }

 private:
  int child(int node, unsigned char byte) const;
  std::unordered_map<uint64_t, int> edges_;  // (node << 8 | byte) -> child node
  std::vector<int64_t> terminal_{-1};        // node -> token index, -1 when no pattern ends there
  std::array<bool, 256> first_{};
};

}  // namespace axolotl::data::tokjson
