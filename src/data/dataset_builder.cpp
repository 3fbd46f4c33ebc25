// Dataset building: streamed reading, chunked parallel encoding, filtering, mixing, splitting.
#include "axolotl/data/dataset_builder.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "axolotl/data/record_reader.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "axolotl/util/interrupt.h"
#include "axolotl/util/log.h"

namespace axolotl::data {

namespace {

constexpr size_t kChunkRecords = 4096;

int64_t thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
constexpr size_t kMaxBadExamples = 5;

struct Encoded {
  std::vector<TokenizedRow> rows;
  bool bad = false;
  bool excess = false;  // ExcessLengthError: fails the build even with skip_bad_rows
  Diagnostic error;
};

class Builder {
 public:
  Builder(const config::DataConfig& data, const Tokenizer& tok, const BuildOptions& opt)
      : data_(data), tok_(tok), opt_(opt), start_(std::chrono::steady_clock::now()) {
    threads_ = opt.threads > 0 ? opt.threads : data.num_workers > 0 ? data.num_workers
                                                                    : static_cast<int>(std::thread::hardware_concurrency());
    threads_ = std::max(1, threads_);
  }

  void add_bytes_total(const std::vector<config::DatasetConfig>& sets) {
    for (const auto& ds : sets) {
      for (const auto& f : list_data_files(ds.path, ds.data_files)) {
        std::error_code ec;
        progress_.bytes_total += std::filesystem::file_size(f, ec);
      }
    }
  }

  // Encodes every dataset of `sets` into one store, datasets in config order.
  RowStore build(const std::vector<config::DatasetConfig>& sets) {
    RowStore out;
    for (const auto& ds : sets) {
      RowEncoder encoder(ds, data_, tok_, opt_.tokenizer_dir);
      for (const auto& file : list_data_files(ds.path, ds.data_files)) read_file(encoder, file, out);
    }
    return out;
  }

  DatasetStats& stats() { return stats_; }
  // Where the time went (debug log): reading lines, parsing and encoding on threads_, collecting rows.
  void log_phases() const {
    log::debug("data", "read {:.3f} s, parse+encode {:.3f} s on {} threads ({:.3f} s CPU), collect {:.3f} s", read_s_,
               encode_s_, threads_, encode_cpu_s_, accept_s_);
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  void read_file(const RowEncoder& encoder, const std::string& file, RowStore& out) {
    RecordReader reader(file, encoder.dataset().field, encoder.dataset().ds_type);
    uint64_t bytes_before = progress_.bytes_done;
    std::vector<Record> chunk;
    std::vector<std::string> lines;  // JSONL lines, parsed by the workers (empty for .json records)
    bool more = true;
    while (more) {
      throw_if_interrupted("preprocessing");
      chunk.clear();
      auto t0 = std::chrono::steady_clock::now();
      while (chunk.size() < kChunkRecords) {
        if (lines.size() <= chunk.size()) lines.emplace_back();
        Record r;
        if (!reader.next_unparsed(r, lines[chunk.size()])) {  // parse errors are raised in order, in accept()
          more = false;
          break;
        }
        chunk.push_back(std::move(r));
      }
      std::vector<Encoded> results(chunk.size());
      auto t1 = std::chrono::steady_clock::now();
      encode_parallel(encoder, chunk, lines, results);
      auto t2 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < chunk.size(); ++i) accept(encoder, chunk[i], results[i], out);
      read_s_ += std::chrono::duration<double>(t1 - t0).count();
      encode_s_ += std::chrono::duration<double>(t2 - t1).count();
      accept_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
      progress_.bytes_done = bytes_before + reader.bytes_read();
      report();
    }
    progress_.bytes_done = bytes_before + reader.size();
  }

  void encode_parallel(const RowEncoder& encoder, std::vector<Record>& chunk, const std::vector<std::string>& lines,
                       std::vector<Encoded>& results) {
    std::atomic<int64_t> cpu_ns{0};
    auto work = [&](size_t first, size_t step) {
      const int64_t cpu_start = thread_cpu_ns();
      for (size_t i = first; i < chunk.size(); i += step) {
        if (!lines[i].empty() && !RecordReader::parse_line(lines[i], chunk[i], &results[i].error)) {
          results[i].bad = true;
          continue;
        }
        try {
          encoder.encode(chunk[i].value, results[i].rows);
        } catch (const ExcessLengthError& e) {
          results[i].bad = results[i].excess = true;
          results[i].error = e.diagnostic();
        } catch (const Error& e) {
          results[i].bad = true;
          results[i].error = e.diagnostic();
          if (results[i].error.message.empty()) results[i].error.message = e.what();
        } catch (const std::exception& e) {
          results[i].bad = true;
          results[i].error.message = e.what();
        }
      }
      cpu_ns += thread_cpu_ns() - cpu_start;
    };
    size_t n = std::min<size_t>(static_cast<size_t>(threads_), chunk.size());
    if (n <= 1) {
      work(0, 1);
    } else {
      std::vector<std::thread> pool;
      for (size_t t = 0; t < n; ++t) pool.emplace_back(work, t, n);
      for (auto& th : pool) th.join();
    }
    encode_cpu_s_ += static_cast<double>(cpu_ns.load()) * 1e-9;
  }

  void accept(const RowEncoder& encoder, const Record& record, Encoded& result, RowStore& out) {
    ++stats_.records;
    ++progress_.records;
    if (result.bad) {
      Diagnostic d = result.error;
      if (d.where.empty()) d.where = record.where;
      if (d.where.line == 0 && d.key.rfind("[", 0) != 0) d.key = "[" + std::to_string(record.index) + "]" +
                                                               (d.key.empty() ? "" : "." + d.key);
      if (result.excess) throw ExcessLengthError(d);
      if (!data_.skip_bad_rows) throw IoError(d);
      ++stats_.bad_records;
      if (stats_.bad_examples.size() < kMaxBadExamples) stats_.bad_examples.push_back(d.str());
      return;
    }
    for (auto& row : result.rows) {
      ++stats_.rows;
      auto len = static_cast<int64_t>(row.input_ids.size());
      // Pair rows hold two sequences, each already cut at sequence_len (preference_rows.h).
      const auto format = encoder.dataset().format;
      const bool pair = format == config::DatasetFormat::kPreference || format == config::DatasetFormat::kBradleyTerry;
      if (len > data_.sequence_len && !pair) {
        if (data_.excess_length_strategy == config::ExcessLength::kRaise) {  // Axolotl's raise_on_drop
          Diagnostic d = excess_length_error(std::to_string(len) + " tokens", data_.sequence_len).diagnostic();
          d.where = record.where;
          if (d.where.line == 0) d.key = "[" + std::to_string(record.index) + "]." + d.key;
          throw ExcessLengthError(d);
        }
        if (data_.excess_length_strategy == config::ExcessLength::kDrop) {
          ++stats_.dropped_too_long;
          continue;
        }
        row.input_ids.resize(data_.sequence_len);
        row.labels.resize(data_.sequence_len);
        len = data_.sequence_len;
        ++stats_.truncated;
      }
      if (len < data_.min_sample_len) {
        ++stats_.dropped_too_short;
        continue;
      }
      int64_t trained = 0;
      bool eos_trained = false;
      for (size_t j = 0; j < row.labels.size(); ++j) {
        if (row.labels[j] == kIgnoreIndex) continue;
        ++trained;
        eos_trained = eos_trained || row.input_ids[j] == tok_.eos_id();
      }
      if (trained == 0) {
        ++stats_.dropped_no_trained;
        continue;
      }
      if (!eos_trained && encoder.expects_trained_eos()) {
        if (stats_.without_trained_eos++ == 0) stats_.eos_example = record.where.str() + ": " + tok_.decode(row.input_ids, false);
      }
      ++stats_.kept;
      stats_.tokens += len;
      stats_.trained_tokens += trained;
      progress_.tokens += len;
      out.append(row);
    }
  }

  void report() {
    if (!opt_.on_progress) return;
    progress_.seconds = elapsed();
    opt_.on_progress(progress_);
  }

  const config::DataConfig& data_;
  const Tokenizer& tok_;
  const BuildOptions& opt_;
  std::chrono::steady_clock::time_point start_;
  int threads_ = 1;
  double read_s_ = 0, encode_s_ = 0, encode_cpu_s_ = 0, accept_s_ = 0;
  DatasetStats stats_;
  BuildProgress progress_;
};

// dataset_exact_deduplication: keeps the first of rows with equal input ids and labels (Axolotl
// deduplicates each tokenized split by its row contents).
RowStore deduplicate(const RowStore& rows, const char* split) {
  std::set<std::pair<std::vector<int32_t>, std::vector<int32_t>>> seen;
  std::vector<size_t> keep;
  for (size_t i = 0; i < rows.size(); ++i) {
    TokenizedRow r = rows.row(i);
    if (seen.emplace(std::move(r.input_ids), std::move(r.labels)).second) keep.push_back(i);
  }
  if (keep.size() != rows.size()) {
    log::info("data", "dataset_exact_deduplication: {} of {} {} rows were duplicates", rows.size() - keep.size(),
              rows.size(), split);
  }
  return rows.select(keep);
}

}  // namespace

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[rng() % i]);
  return p;
}

RowStore split_validation(RowStore& rows, double val_set_size, uint64_t seed) {
  size_t n = rows.size();
  size_t n_val = val_set_size <= 0 ? 0
                 : val_set_size < 1 ? static_cast<size_t>(std::ceil(val_set_size * static_cast<double>(n)))
                                    : static_cast<size_t>(val_set_size);
  if (n_val == 0) return RowStore();
  if (n_val >= n) {
    Diagnostic d;
    d.key = "val_set_size";
    d.message = "validation split would take every row";
    d.found = std::to_string(n_val) + " of " + std::to_string(n) + " rows";
    throw ConfigError({d});
  }
  std::vector<size_t> perm = seeded_permutation(n, seed);
  std::vector<char> is_val(n, 0);
  std::vector<size_t> val_idx(perm.begin(), perm.begin() + static_cast<long>(n_val)), train_idx;
  std::sort(val_idx.begin(), val_idx.end());
  for (size_t i : val_idx) is_val[i] = 1;
  for (size_t i = 0; i < n; ++i) {
    if (!is_val[i]) train_idx.push_back(i);
  }
  RowStore val = rows.select(val_idx);
  rows = rows.select(train_idx);
  return val;
}

PreparedData build_datasets(const config::DataConfig& data, const Tokenizer& tokenizer, const BuildOptions& options) {
  if (data.datasets.empty()) {
    Diagnostic d;
    d.key = "datasets";
    d.message = "no datasets configured";
    throw ConfigError({d});
  }
  Builder b(data, tokenizer, options);
  b.add_bytes_total(data.datasets);
  b.add_bytes_total(data.test_datasets);
  PreparedData out;
  out.train = b.build(data.datasets);
  if (data.shuffle_merged_datasets && out.train.size() > 1) {
    out.train = out.train.select(seeded_permutation(out.train.size(), options.seed));
  }
  if (!data.test_datasets.empty()) {
    out.val = b.build(data.test_datasets);
  } else {
    out.val = split_validation(out.train, data.val_set_size, options.seed + 1);
  }
  if (data.exact_deduplication) {
    out.train = deduplicate(out.train, "train");
    out.val = deduplicate(out.val, "validation");
  }
  out.stats = b.stats();
  out.stats.seconds = b.elapsed();
  b.log_phases();
  if (out.train.size() == 0) {
    Diagnostic d;
    d.key = "datasets";
    d.message = "no training rows left after filtering";
    d.found = std::to_string(out.stats.dropped_too_long) + " too long, " + std::to_string(out.stats.dropped_too_short) +
              " too short, " + std::to_string(out.stats.dropped_no_trained) + " with nothing trained";
    d.hint = "raise sequence_len, or check the dataset type and roles_to_train";
    throw IoError(d);
  }
  return out;
}

}  // namespace axolotl::data
