// Trains the tiny SentencePiece BPE tokenizer used by the offline example and tests: Llama-style
// settings (byte fallback, identity normalization, <unk>=0 <s>=1 </s>=2, no pad), single-threaded so
// that the same corpus, vocab size and seed always give byte-identical files.
#pragma once

#include <cstdint>
#include <string>

namespace axolotl::data {

// Reads `corpus_path` (UTF-8 text, one sentence per line; blank lines ignored) and writes
// tokenizer.model, tokenizer_config.json (LlamaTokenizer, add_bos_token true, add_eos_token false)
// and special_tokens_map.json into `output_dir` (created if needed), each atomically.
// Returns the number of pieces. Throws IoError for unreadable input or when training fails
// (e.g. a vocab_size the corpus cannot fill).
int train_tokenizer(const std::string& corpus_path, const std::string& output_dir, int vocab_size = 512,
                    uint32_t seed = 0);

}  // namespace axolotl::data
