// The <arch>.* hyper-parameter keys and the generated extra tensors of a GGUF model, per architecture, in
// the order and with the value types llama.cpp's convert_hf_to_gguf.py writes them (FORMATS2.md §3.4).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "axolotl/export/ggml_type.h"
#include "axolotl/export/gguf_arch.h"
#include "axolotl/export/gguf_writer.h"
#include "axolotl/model/llama_config.h"

namespace axolotl::gguf {

// Writes the arch keys and general.file_type. `config_json` is config.json as read (some keys are
// written only when the file spells them, e.g. llama's head_dim). Returns what llama.cpp will run
// differently from the checkpoint (it hard-codes some Gemma details), one line each, for the log.
std::vector<std::string> write_arch_metadata(const ArchTraits& arch, const model::LlamaConfig& config,
                                             const nlohmann::json& config_json, FileType file_type, GgufWriter& w);

// The tensors the converter generates: llama3 rope_freqs.weight, Phi-3 LongRoPE rope_factors_long/short.
// Error when LongRoPE factor lists do not have rotary_dim/2 entries.
std::vector<TensorEntry> arch_extra_tensors(const ArchTraits& arch, const model::LlamaConfig& config);

}  // namespace axolotl::gguf
