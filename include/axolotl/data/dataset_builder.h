// Builds the training and validation rows of a data section: reads every dataset, encodes records
// in parallel on all cores (output order = input order), drops rows by Axolotl's rules (too long,
// too short, nothing trained), mixes and shuffles datasets with the seed, splits off validation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/data/row_store.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

struct DatasetStats {
  int64_t records = 0;             // records read from the files
  int64_t rows = 0;                // rows the records made (completion may cut one into several)
  int64_t kept = 0;                // rows kept (train + validation)
  int64_t dropped_too_long = 0;    // > sequence_len (excess_length_strategy: drop)
  int64_t truncated = 0;           // > sequence_len, cut (excess_length_strategy: truncate)
  int64_t dropped_too_short = 0;   // < min_sample_len
  int64_t dropped_no_trained = 0;  // every label -100
  int64_t bad_records = 0;         // skipped by skip_bad_rows
  int64_t tokens = 0;              // tokens of kept rows
  int64_t trained_tokens = 0;      // labels != -100 in kept rows
  int64_t without_trained_eos = 0; // kept rows whose EOS is masked (template problem)
  std::vector<std::string> bad_examples;  // first few reasons, "file:line: key: message"
  std::string eos_example;         // one row whose EOS stayed masked, as text
  double seconds = 0.0;
};

struct BuildProgress {
  int64_t records = 0;
  int64_t tokens = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  double seconds = 0.0;
};

struct BuildOptions {
  uint64_t seed = 42;
  int threads = 0;  // 0: data.num_workers, or every core
  std::function<void(const BuildProgress&)> on_progress;  // called from the building thread
  // Folder of the tokenizer: its tokenizer_config.json `chat_template` is recognised by name
  // markers (chat_template: tokenizer_default, or none set). Empty: no tokenizer template.
  std::string tokenizer_dir;
};

struct PreparedData {
  RowStore train;
  RowStore val;
  DatasetStats stats;
};

// Throws IoError on unreadable/malformed input (unless data.skip_bad_rows), ConfigError on settings
// the data cannot satisfy (e.g. a chat dataset with no template).
PreparedData build_datasets(const config::DataConfig& data, const Tokenizer& tokenizer, const BuildOptions& options);

// Validation rows out of `rows` (val_set_size: < 1 a fraction, rounded up; >= 1 a count); the
// rest stay in `rows` in their order. Deterministic in the seed.
RowStore split_validation(RowStore& rows, double val_set_size, uint64_t seed);

// Fisher–Yates permutation of 0..n-1 with std::mt19937_64(seed) (same on every platform).
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

}  // namespace axolotl::data
