// The offline tiny LLaMA of the bundled example: a sentencepiece tokenizer trained on a corpus and a
// small randomly initialised LlamaForCausalLM (GQA, tied embeddings, float32) in a HF folder. Same
// corpus and seed -> byte-identical files. Built in a temporary folder, then renamed into place.
#pragma once

#include <cstdint>
#include <string>

#include "axolotl/model/llama_config.h"

namespace axolotl::model {

// The tiny architecture for a vocabulary of `vocab_size` pieces.
LlamaConfig tiny_llama_config(int64_t vocab_size);

// Creates `output_dir`; UsageError when it exists and is not empty, unless `force`. With
// `tokenizer_dir`, its tokenizer files are copied (no corpus needed) and the vocab, BOS and EOS
// come from that tokenizer (e.g. the real Llama-3 tokenizer, vocab 128,256).
void create_tiny_model(const std::string& output_dir, const std::string& corpus_path, bool force, uint64_t seed,
                       const std::string& tokenizer_dir = {});

}  // namespace axolotl::model
