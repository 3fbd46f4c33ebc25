// tokenizer.ggml.pre for a tokenizer.json BPE vocabulary, chosen as llama.cpp's convert_hf_to_gguf.py
// get_vocab_base_pre does: encode a fixed check text with the tokenizer (its own special-token policy,
// as AutoTokenizer.encode), hash str(ids) with SHA-256 ("chkhsh"), and look the hash up in llama.cpp's
// table of known pre-tokenizers. Unknown hashes are refused by llama.cpp's converter; so are they here.
#pragma once

#include <string>

namespace axolotl::gguf {

// The check text (convert_hf_to_gguf.py chktxt), UTF-8.
const std::string& bpe_check_text();
// sha256 hex of Python's str(list_of_ids) for the check text encoded by the tokenizer in `dir`.
std::string bpe_pre_hash(const std::string& dir);
// llama.cpp's name for `hash` ("llama-bpe", "qwen2", ...); empty when the table does not know it.
std::string bpe_pre_for_hash(const std::string& hash);
// Whether `name` is a pre-tokenizer name of that table (or "default"), for --tokenizer-pre.
bool is_known_bpe_pre(const std::string& name);

}  // namespace axolotl::gguf
