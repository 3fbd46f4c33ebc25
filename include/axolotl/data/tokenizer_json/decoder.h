// tokenizer.json decoders (FORMATS2.md §1.8): ByteLevel, Metaspace, ByteFallback, Fuse, Strip,
// Replace, Sequence, working on the list of token strings; other types are an Error naming them.
// The result may hold raw bytes; the tokenizer applies lossy UTF-8 (U+FFFD) at the end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::data::tokjson {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // `raw`: keep invalid UTF-8 bytes as they are (for streaming, which completes characters itself).
  // `continuation`: the tokens do not start the text (no first-token space removal or Strip start).
  virtual void decode_chain(std::vector<std::string>& tokens, bool raw, bool continuation) const = 0;
};

// Null JSON gives nullptr (tokens are then joined with " ").
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const std::string& where);

}  // namespace axolotl::data::tokjson
