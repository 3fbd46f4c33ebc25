// tokenizer.json read in one pass. The BPE model's `vocab` and `merges` (nearly all of a 9 MB
// Llama-3 file) go straight into flat tables through a SAX handler instead of a JSON tree of
// ~400,000 nodes; the small rest of the document (normalizer, pre-tokenizer, added tokens, ...) is
// kept as a JSON tree. Anything the fast path does not expect (a malformed file, a vocab id that is
// not a non-negative int32, a repeated vocab key, two tokens on one id, a merge of another shape)
// sends the whole file down the plain tree parse, so errors and results are those of that path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer_json/flat_map.h"

namespace axolotl::data::tokjson {

// model.vocab as the BPE model keeps it.
struct BpeVocab {
  StringIdMap token_to_id;
  std::vector<std::string> id_to_token;  // "" in gaps
};

// model.merges in file order: each either one "a b" line or an ["a", "b"] pair (views into arena).
struct BpeMergeList {
  struct Merge {
    uint32_t a_off = 0, a_len = 0, b_off = 0, b_len = 0;
    bool pair = false;  // false: a is the whole line, b unused
  };
  std::string arena;
  std::vector<Merge> items;
  std::string_view a(const Merge& m) const { return std::string_view(arena).substr(m.a_off, m.a_len); }
  std::string_view b(const Merge& m) const { return std::string_view(arena).substr(m.b_off, m.b_len); }
};

struct BpeTables {
  BpeVocab vocab;
  BpeMergeList merges;
};

struct TokenizerFile {
  nlohmann::json doc;               // the document; without model.vocab and model.merges when tables is set
  std::optional<BpeTables> tables;  // set when the fast path read them
};

// Reads and parses `path`. Throws IoError when it cannot be read or is not JSON. The tables are
// read by table_scanner.h (merges on a second thread in files of 1 MB and more), the rest by a SAX
// handler; a file the scanner declines goes through the SAX handler whole, then json::parse.
TokenizerFile read_tokenizer_file(const std::string& path);

}  // namespace axolotl::data::tokjson
