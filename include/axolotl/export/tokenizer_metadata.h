// The tokenizer.* keys of a GGUF model (FORMATS2.md §3.5, llama.cpp convert_hf_to_gguf.py
// _create_vocab_sentencepiece / _set_vocab_gpt2, gguf-py vocab.py SpecialVocab): a sentencepiece
// tokenizer.model becomes model "llama" (tokens, scores, types); a byte-level BPE tokenizer.json
// becomes model "gpt2" (tokens, types, merges, pre). Special ids, add_bos/eos and the chat template
// come from tokenizer_config.json (then config.json). Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/export/gguf_writer.h"

namespace axolotl::gguf {

struct TokenizerMetadata {
  std::string model;  // "llama" or "gpt2"
  std::string pre;    // gpt2 only: llama.cpp's name for the chkhsh ("llama-bpe", "qwen2", ...; bpe_pre.h)
  std::string pre_hash;  // gpt2 only: the chkhsh
  std::vector<std::string> tokens;
  std::vector<float> scores;  // llama only
  std::vector<int32_t> types; // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
  std::vector<std::string> merges;
  int64_t bos = -1, eos = -1, unk = -1, pad = -1;
  int8_t add_bos = -1, add_eos = -1;  // -1: not stated by tokenizer_config.json (llama.cpp decides)
  int8_t add_space_prefix = -1;       // -1: not written (Gemma writes false)
  std::string chat_template;
  std::vector<std::string> stop_tokens;  // eos and end-of-turn tokens, for the Ollama Modelfile
};

struct TokenizerOptions {
  std::string pre_override;               // tokenizer.ggml.pre to write when the chkhsh is unknown
  bool no_space_prefix = false;           // Gemma: add_space_prefix false for a tokenizer.model
  bool added_from_tokenizer_json = false; // Phi-3: tokenizer.json added_tokens join the SPM vocabulary
};

// Reads the tokenizer of `dir` (tokenizer.model first, else tokenizer.json), padding the vocabulary
// to `vocab_size` (config.json) with [PAD{i}] tokens of type unused. `config_dir` supplies
// config.json's *_token_id fallbacks. IoError when neither file is there or the BPE model is not
// byte-level; Error naming the chkhsh when a BPE pre-tokenizer is unknown to llama.cpp and no
// pre_override is given (llama.cpp's converter refuses such tokenizers too).
TokenizerMetadata read_tokenizer_metadata(const std::string& dir, const std::string& config_dir, int64_t vocab_size,
                                          const TokenizerOptions& options = {});

// How many token_embd rows convert_hf_to_gguf's Gemma3Model keeps ("remove OOV rows"): with a
// tokenizer.model, the vocabulary it writes (`vocab_size` entries, the config's); otherwise
// tokenizer.json's model.vocab count plus its added_tokens count (both counted, as the converter does,
// even where an added token is also in the vocab). IoError when `dir` has neither file.
int64_t converter_vocab_rows(const std::string& dir, int64_t vocab_size);

// The tokens that llama.cpp's vocabulary loader looks up by text for a model whose general.name is
// `name` and that `t` lacks (llama-vocab.cpp, "set attributes by model/tokenizer/architecture name": a
// name containing "phi3" or "phi-3", in any case, needs </s>, <unk>, <s> and <|endoftext|>; one missing
// fails the load with "_Map_base::at"). Empty when llama.cpp loads the vocabulary under that name.
std::vector<std::string> tokens_missing_for_name(const std::string& name, const TokenizerMetadata& t);

// Adds the tokenizer.ggml.* keys and tokenizer.chat_template to `w`.
void write_tokenizer_metadata(const TokenizerMetadata& t, GgufWriter& w);

}  // namespace axolotl::gguf
