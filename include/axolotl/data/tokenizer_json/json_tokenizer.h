// The tokenizer.json backend of data::Tokenizer: added tokens, normalizer, pre-tokenizer, BPE model,
// post-processor and decoder as Hugging Face's fast tokenizer runs them (FORMATS2.md §1), with the
// BOS/EOS policy of §1.9 and the special tokens of tokenizer_config.json and the config's overrides.
#pragma once

#include <memory>
#include <string>

#include "axolotl/config/config.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data::tokjson {

// `folder` holds tokenizer.json (and optional tokenizer_config.json, special_tokens_map.json).
// Throws IoError for unreadable files, Error for malformed or unsupported components.
std::unique_ptr<Tokenizer> load_json_tokenizer(const std::string& folder, const config::TokenizerConfig& overrides);

}  // namespace axolotl::data::tokjson
