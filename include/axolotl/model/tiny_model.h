// The offline tiny LLaMA of the bundled example: a sentencepiece tokenizer trained on a corpus and a
// small randomly initialised LlamaForCausalLM (GQA, tied embeddings, float32) in a HF folder, or the same
// sizes in another family (Qwen2/3, Gemma-2/3, Phi-3). Same corpus and seed -> byte-identical files.
// Built in a temporary folder, then renamed into place.
#pragma once

#include <cstdint>
#include <string>

#include "axolotl/model/llama_config.h"

namespace axolotl::model {

// The tiny architecture for a vocabulary of `vocab_size` pieces.
LlamaConfig tiny_llama_config(int64_t vocab_size);
// The same sizes as a checkpoint of `family` (a model_type of family.h: llama, mistral, qwen2, qwen3, gemma2,
// gemma3 or gemma3_text, phi3) with that family's traits; Gemma layers get a 64-token window so it is live.
// UsageError for other names.
LlamaConfig tiny_family_config(const std::string& family, int64_t vocab_size);

// Creates `output_dir`; UsageError when it exists and is not empty, unless `force`. `family` picks the
// architecture (model/family.h). With `tokenizer_dir`, its tokenizer files are copied (no corpus
// needed) and the vocab, BOS and EOS come from that tokenizer (e.g. the real Llama-3 tokenizer).
// `intermediate_size` > 0 replaces the MLP width (344), e.g. a multiple of the 32-128 wide groups of QAT.
void create_tiny_model(const std::string& output_dir, const std::string& corpus_path, bool force, uint64_t seed,
                       const std::string& family = "llama", const std::string& tokenizer_dir = {},
                       int64_t intermediate_size = 0);

}  // namespace axolotl::model
