// `axolotl merge`: folds a PEFT adapter into a Hugging Face model folder, streaming shard by shard
// (read a tensor from the input shard's map -> merge it if adapted -> write it into the output shard ->
// release), so peak memory is about one input shard + one output tensor + the adapter, never the model.
// Writes a HF folder (sharded safetensors + index when over max_shard_bytes, config.json with its dtype
// updated, tokenizer files, generation_config.json) into a temporary folder renamed at the end.
// The merge uses the base's original (unquantized) weights, as Axolotl's merge_lora does.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace axolotl::adapters {

struct MergeJob {
  std::string base_dir;       // HF folder: config.json + model.safetensors or index + shards
  std::string config_dir;     // folder holding config.json when not base_dir (base_model_config)
  std::string tokenizer_dir;  // tokenizer files from here first, then from base_dir
  std::string adapter_dir;    // adapter_config.json + adapter_model.safetensors
  std::string output_dir;
  std::string config_overrides;  // model_config: keys set over the base's config.json (JSON object text)
  // A reward-model adapter (score.weight among its tensors) on a causal-LM base is written as transformers
  // saves the merged *ForSequenceClassification / *ForTokenClassification: no lm_head, the score head,
  // config.json with the classifier architecture, id2label/label2id and this pad_token_id (where the
  // score is read), no generation_config.json. Unset: such an adapter is refused.
  std::optional<int64_t> classifier_pad_id;
  bool force = false;                    // replace a non-empty output_dir
  uint64_t max_shard_bytes = 5'000'000'000;
  // Floating tensors are written in this dtype; nullopt: the base's config.json torch_dtype (each
  // tensor's own dtype when config.json names none). The merge itself is computed in float32.
  std::optional<torch::ScalarType> dtype;
  // Writes the tokenizer files into the (temporary) output folder; unset: they are copied from
  // tokenizer_dir, else base_dir (engine_api sets it to carry the config's added tokens).
  std::function<void(const std::string& dir)> write_tokenizer;
};

struct MergeResult {
  int64_t tensors = 0;
  int64_t merged = 0;        // LoRA-adapted weights
  int64_t replaced = 0;      // modules_to_save tensors taken from the adapter
  uint64_t bytes = 0;        // tensor data written
  std::vector<std::string> files;  // weight files written (names in output_dir)
  std::string dtype;               // "bfloat16", ...: the floating dtype written; empty: each tensor's own
};

// The safetensors files of a HF folder in shard order (model.safetensors, else the index's shards).
std::vector<std::string> weight_files(const std::string& dir);

MergeResult merge_folder(const MergeJob& job);

}  // namespace axolotl::adapters
