// Training steps for streaming pretraining (pretraining_dataset): each micro-batch is `rows` rows of
// sequence_len tokens pulled from a PretrainStream, gradient_accumulation_steps micro-batches per
// step, so the trainer's loop (train/trainer.cpp) runs on them as on prepared batches. With
// `isolate_documents` (sample_packing + pretrain_multipack_attn) every document of a row is its own
// segment (block-diagonal attention, positions from 0, no loss on its first token); without, a row
// is one causal sequence. state()/restore() carry the stream position through checkpoints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/config/config.h"
#include "axolotl/data/batch_loader.h"
#include "axolotl/data/pretrain_stream.h"

namespace axolotl::data {

// The local files one pretraining_dataset entry names, in streaming order: a file; a folder's
// .txt/.text/.jsonl/.json files (sorted); `data_files` relative to the folder; or a Hub dataset id
// resolved through the Hub download code into the huggingface_hub cache (HF_HUB_OFFLINE: cache only),
// narrowed to the `name` subfolder and the `split` files when the repository has several. IoError /
// ConfigError name the entry's key.
std::vector<std::string> pretrain_files(const config::PretrainDatasetConfig& dataset);

struct PretrainBatchOptions {
  int rows = 1;                        // rows per micro-batch (micro_batch_size × ranks: every rank sees them all)
  int gradient_accumulation_steps = 1;
  bool isolate_documents = true;
};

class PretrainBatches {
 public:
  PretrainBatches(std::vector<std::string> files, const Tokenizer& tokenizer, StreamOptions stream,
                  PretrainBatchOptions options);
  // The stream data.pretrain asks for: its first entry's text_column and skip, sequence_len, bos as
  // the tokenizer adds it, documents isolated when sample_packing and pretrain_multipack_attn.
  static std::unique_ptr<PretrainBatches> from_config(const config::DataConfig& data, std::vector<std::string> files,
                                                      const Tokenizer& tokenizer, int rows,
                                                      int gradient_accumulation_steps);

  // The next optimizer step's micro-batches (epoch 0, index = steps produced so far).
  StepBatch next();
  // {"files", "sequence_len", "skip", "position"}: after the last step produced.
  nlohmann::json state() const;
  // Continues after `state`; Error when it was written for other files or another sequence_len.
  void restore(const nlohmann::json& state);

 private:
  Batch micro_batch();

  std::vector<std::string> files_;
  StreamOptions stream_options_;
  PretrainBatchOptions opt_;
  PretrainStream stream_;
  int64_t steps_ = 0;
};

}  // namespace axolotl::data
