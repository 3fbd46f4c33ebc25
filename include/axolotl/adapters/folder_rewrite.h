// Rewriting a Hugging Face folder's weights, streamed tensor by tensor: every tensor of the base's
// safetensors files goes into a ShardedWriter under its own name, either as the base has it (its bytes
// from the mapping, or converted to a target dtype) or as the caller replaces it. The common path of
// `merge` (LoRA pairs folded into their weights) and of saving a full fine-tune of a multimodal
// checkpoint (the trained text tower beside the base's unchanged vision tower and projector).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/io/safetensors.h"
#include "axolotl/io/sharded_writer.h"

namespace axolotl::adapters {

// What to write for one base tensor instead of itself; nullopt keeps the base's, a source with an empty
// name drops the tensor (a classifier merge leaves out lm_head). `out_dtype` is the
// dtype the base's tensor would be written in (the target for floating tensors, else its own). The
// file stays mapped while any fill that captured it is pending.
using TensorReplacement = std::function<std::optional<io::TensorSource>(
    const std::shared_ptr<io::SafetensorsFile>& file, const io::TensorInfo& info, torch::ScalarType out_dtype)>;

// Adds every tensor of `files` (weight_files() order; legacy rotary_emb.inv_freq buffers left out) to
// `writer`: floating tensors in `dtype` when set (nullopt: each in its own), others unchanged, each
// one `replace` answers for as it says. Returns the number of tensors added.
int64_t rewrite_tensors(const std::vector<std::string>& files, io::ShardedWriter& writer,
                        std::optional<torch::ScalarType> dtype, const TensorReplacement& replace);

// The base's config.json for the rewritten weights: vocab_size (a multimodal config's text_config's)
// set when vocab_rows > 0, torch_dtype (and dtype, where present) set when `dtype` is, no
// quantization_config (the weights written are dense), transformers_version the release whose
// format we follow (model/hf_versions.h; PretrainedConfig.to_dict writes the saving version).
nlohmann::json rewritten_config(nlohmann::json config, std::optional<torch::ScalarType> dtype, int64_t vocab_rows);

// generation_config.json for a model folder written from `base_dir` with config.json `config`: the
// base's file with transformers_version ours (GenerationConfig.to_dict writes the saving version),
// or, when the base has none (or base_dir is empty), GenerationConfig.from_model_config's: the
// bos/eos/pad token ids of `config` (of its text_config for a multimodal config). IoError naming the
// file when the base's is not a JSON object.
nlohmann::json generation_config_for(const std::string& base_dir, const nlohmann::json& config);

// "bfloat16", "float16", "float32" (config.json's torch_dtype spelling).
const char* config_dtype_name(torch::ScalarType dtype);

}  // namespace axolotl::adapters
