// Training batches as plain vectors (the trainer makes tensors): each micro-batch is (rows, seq_len)
// row-major. With sample packing each row is one bin of several samples (FORMATS.md §8); without,
// one sample per row. Order is a pure function of (seed, epoch), so a Cursor resumes exactly.
//
// Loss normalisation: labels are aligned with input_ids (the model shifts them), and the label of
// every sample's first token is -100 (it has no in-sample predecessor; also isolates packed
// samples). So `trained_tokens` = number of loss terms, and the trainer computes
//   step loss = Σ_micro Σ_tokens CE(token) / StepBatch::trained_tokens
// (sum-reduced micro-batch losses divided by the whole step's count), which is the same for any
// packing or gradient-accumulation split of the same rows.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "axolotl/data/packing.h"
#include "axolotl/data/row_store.h"

namespace axolotl::data {

struct Batch {
  int64_t rows = 0;                   // B
  int64_t seq_len = 0;                // T
  std::vector<int32_t> input_ids;     // (B, T); pad_id in padding
  std::vector<int32_t> labels;        // (B, T); -100 on masked, padding and each sample's first token
  std::vector<int32_t> position_ids;  // (B, T); 0.. per sample, and 0.. again over the padding
  std::vector<int32_t> segment_ids;   // (B, T); k = 1.. for the k-th sample of a row, 0 = padding
  int64_t samples = 0;                // dataset rows in this micro-batch
  int64_t tokens = 0;                 // non-padding tokens
  int64_t trained_tokens = 0;         // labels != -100
  std::vector<uint8_t> desirable;     // KTO only: one flag per example (rows [0, samples)), 1 = desirable
};

struct StepBatch {
  std::vector<Batch> micro;           // gradient_accumulation_steps micro-batches (fewer at epoch end)
  int64_t trained_tokens = 0;         // Σ micro[i].trained_tokens: the loss denominator of the step
  int64_t epoch = 0;
  int64_t index = 0;                  // step within the epoch
};

struct Cursor {
  int64_t epoch = 0;
  int64_t step = 0;                   // next step to produce within `epoch`
};

struct BatchOptions {
  int sequence_len = 2048;
  int micro_batch_size = 1;
  int gradient_accumulation_steps = 1;
  bool sample_packing = false;
  bool pad_to_sequence_len = false;   // without packing: pad every batch to sequence_len
  int32_t pad_id = 0;                 // tokenizer pad id (or 0 when it has none)
  uint64_t seed = 42;
  bool shuffle = true;                // false: dataset order (evaluation)
  // Rows are preference pairs (preference_rows.h): each micro-batch of P pairs becomes 2P rows,
  // [chosen; rejected], padded to the longest sequence (TRL's collator); samples = P; no packing.
  bool preference_pairs = false;
  // Rows are KTO examples (kto_strategy.h): each micro-batch of n examples becomes 2n rows, the
  // examples [0, n) and their KL sequences [n, 2n): prompt i with the completion of the example before
  // it within its group of kl_group consecutive examples (TRL's +1 rotation per per-device batch), each
  // cut at sequence_len and padded to the longest row; samples = n; tokens count the examples only.
  bool kto_rows = false;
  int kl_group = 1;
  // Labels are class ids at their own position (token classification, process_reward_model), not next
  // tokens: each sample's first label is kept instead of masked.
  bool token_labels = false;
  int max_per_bin = 200;
  size_t group_size = 100000;
  bool sequential_packing = false;    // next-fit in the (shuffled or dataset) order; bins keep that order
};

class BatchLoader {
 public:
  BatchLoader(const RowStore& rows, const BatchOptions& options);

  int64_t steps_in_epoch(int64_t epoch);
  // The step `index` of `epoch` (0-based); throws Error when out of range.
  StepBatch step(int64_t epoch, int64_t index);
  // The step at the cursor, then advances it (into the next epoch at the end of one).
  StepBatch next();
  const Cursor& cursor() const { return cursor_; }
  void seek(const Cursor& c) { cursor_ = c; }
  // Packing efficiency of an epoch's bins (1.0 without packing is not meaningful: returns the
  // share of non-padding tokens of full rows of sequence_len).
  double efficiency(int64_t epoch);

 private:
  // Micro-batches of an epoch, each a list of rows, each row a list of sample indices.
  using Plan = std::vector<std::vector<std::vector<size_t>>>;
  const Plan& plan(int64_t epoch);
  Batch collate(const std::vector<std::vector<size_t>>& rows) const;
  Batch collate_pairs(const std::vector<std::vector<size_t>>& rows) const;
  Batch collate_kto(const std::vector<std::vector<size_t>>& rows) const;

  const RowStore& rows_;
  BatchOptions opt_;
  std::vector<int64_t> lengths_;
  std::map<int64_t, Plan> plans_;     // a few recent epochs
  Cursor cursor_;
};

}  // namespace axolotl::data
