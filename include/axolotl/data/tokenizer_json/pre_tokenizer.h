// tokenizer.json pre-tokenizers (FORMATS2.md §1.4): Split (String/Regex pattern, every behavior,
// invert), ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Sequence. Other types are an
// Error naming them. They cut a normalized segment into the words the model encodes one by one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::data::tokjson {

// One piece of a segment. `at_start`: the piece begins at offset 0 of the original text
// (Metaspace's "first" scheme depends on it).
struct Piece {
  std::string text;
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their splits; empty pieces are dropped.
  virtual void split(std::vector<Piece>& pieces) const = 0;
};

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& where);

}  // namespace axolotl::data::tokjson
