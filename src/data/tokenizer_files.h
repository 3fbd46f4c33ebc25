// Private to data/: reads a LLaMA tokenizer's files (tokenizer.model bytes and the Hugging Face side
// files tokenizer_config.json, special_tokens_map.json, added_tokens.json) into plain values.
// Precedence as transformers' from_pretrained: tokenizer_config.json < special_tokens_map.json.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace axolotl::data::detail {

// An added token as declared in added_tokens_decoder / added_tokens.json (id known) or by name only.
struct AddedTokenSpec {
  std::string content;
  std::optional<int> id;
  bool special = false;
};

// A special token slot: absent (not mentioned), explicitly none (JSON null), or a token string.
struct SpecialSlot {
  bool mentioned = false;
  std::optional<std::string> content;  // nullopt with mentioned = explicitly none
};

struct TokenizerFiles {
  std::string model_path;   // the tokenizer.model that was read
  std::string model_bytes;  // its serialized ModelProto
  std::map<std::string, SpecialSlot> special;  // bos_token, eos_token, unk_token, pad_token, ...
  std::vector<std::string> additional_special;  // additional_special_tokens
  std::vector<AddedTokenSpec> added;            // with ids, in file order
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
  std::string tokenizer_class;       // tokenizer_config.json "tokenizer_class" ("" when absent)
  bool clean_up_spaces = false;      // clean_up_tokenization_spaces
};

// `path`: a folder with tokenizer.model, or the .model file itself (side files are then read from
// its folder). Throws IoError for missing/unreadable files, malformed JSON or wrongly typed keys.
TokenizerFiles read_tokenizer_files(const std::string& path);

// Only the side files of `folder` (no tokenizer.model), for the tokenizer.json backend.
TokenizerFiles read_side_files(const std::string& folder);

}  // namespace axolotl::data::detail
