// A LLaMA tokenizer: sentencepiece `tokenizer.model` plus the Hugging Face side files
// (tokenizer_config.json, special_tokens_map.json, added_tokens.json) and the config's overrides.
// Semantics follow HF LlamaTokenizer (FORMATS.md §2.5). Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "axolotl/config/config.h"

namespace axolotl::data {

class Tokenizer {
 public:
  // `path` is a folder holding tokenizer.model (and optional side files) or the .model file itself
  // (side files are then read from its folder). Precedence: tokenizer_config.json <
  // special_tokens_map.json < `overrides`. Throws IoError when files are missing or unreadable.
  static std::unique_ptr<Tokenizer> load(const std::string& path, const config::TokenizerConfig& overrides = {});
  virtual ~Tokenizer();

  // Encodes text: registered special/added tokens appearing in the text (e.g. "<|im_start|>") are
  // split out and mapped to their ids; the pieces between are encoded with sentencepiece.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos, bool add_eos) const = 0;
  // As above with the tokenizer's own add_bos_token / add_eos_token.
  std::vector<int32_t> encode(std::string_view text) const { return encode(text, add_bos(), add_eos()); }

  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true) const = 0;
  // The text of one token as it should be appended when streaming (leading "▁" becomes a space,
  // byte-fallback pieces become their bytes). Streaming callers concatenate these.
  virtual std::string token_text(int32_t id) const = 0;

  virtual int32_t vocab_size() const = 0;  // sentencepiece pieces + added tokens
  virtual std::optional<int32_t> token_to_id(std::string_view piece) const = 0;
  virtual std::string id_to_token(int32_t id) const = 0;
  virtual bool is_special(int32_t id) const = 0;

  virtual int32_t bos_id() const = 0;
  virtual int32_t eos_id() const = 0;
  virtual int32_t unk_id() const = 0;
  virtual int32_t pad_id() const = 0;  // -1 when the tokenizer has none
  virtual bool add_bos() const = 0;
  virtual bool add_eos() const = 0;
};

}  // namespace axolotl::data
