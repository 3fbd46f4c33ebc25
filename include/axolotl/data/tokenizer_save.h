// The tokenizer files of an output folder (final output, checkpoints, merge) as transformers'
// save_pretrained writes them, with the tokens a config added (`tokens:`, `special_tokens`).
// Torch-free; the files are copied from the tokenizer folder, then updated in place (atomically).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

// What a run's tokenizer holds beyond its files: computed once, written into every output folder.
struct TokenizerSave {
  struct Token {
    std::string content;
    int32_t id = -1;
    bool special = false;
    bool new_id = true;  // not in the files' vocabulary (else only its special status is new)
  };
  std::string source_dir;                    // folder of the tokenizer that was loaded
  bool json_backend = false;                 // tokenizer.json was read (else tokenizer.model)
  std::vector<Token> added;                  // config tokens whose id the files do not give yet
  std::map<std::string, std::string> slots;  // bos_token / eos_token / pad_token / unk_token overrides
};

// `loaded`: the tokenizer loaded from `tokenizer_dir` with `overrides` (Tokenizer::load); nullptr:
// loaded here, and only when the config adds tokens (a folder without them is only copied).
TokenizerSave plan_tokenizer_save(const std::string& tokenizer_dir, const config::TokenizerConfig& overrides,
                                  const Tokenizer* loaded);

// Copies tokenizer.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// added_tokens.json and chat_template.jinja into `out_dir`, then records the plan's tokens:
// tokenizer.json `added_tokens` (json backend), tokenizer_config.json `added_tokens_decoder` and the
// special-token slots, special_tokens_map.json, and added_tokens.json (sentencepiece backend, as the
// slow tokenizer's save writes it). IoError naming the file on failure.
void write_tokenizer_files(const TokenizerSave& plan, const std::string& out_dir);

}  // namespace axolotl::data
