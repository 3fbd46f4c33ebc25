// Streaming-pretraining steps and the files they read (see pretrain_batches.h).
#include "axolotl/data/pretrain_batches.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "axolotl/io/hub_resolve.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"

namespace axolotl::data {
namespace fs = std::filesystem;
namespace {

bool streamable(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".txt" || ext == ".text" || ext == ".jsonl" || ext == ".json";
}

bool hub_id(const std::string& path) {
  std::error_code ec;
  if (path.empty() || path[0] == '.' || path[0] == '/' || fs::exists(path, ec)) return false;
  const std::string repo = path.substr(0, path.find('@'));
  return std::count(repo.begin(), repo.end(), '/') == 1 && !streamable(repo);
}

Diagnostic entry_problem(const std::string& key, const std::string& where, std::string message, std::string found,
                         std::string expected, std::string hint = {}) {
  Diagnostic d;
  d.where.file = where;
  d.key = "pretraining_dataset." + key;
  d.message = std::move(message);
  d.found = std::move(found);
  d.expected = std::move(expected);
  d.hint = std::move(hint);
  return d;
}

// Of a Hub snapshot's files: those under the `name` subfolder, then those whose path names `split`
// when the files name several splits (train-*.jsonl, test-*.jsonl, ...).
std::vector<std::string> narrow_hub_files(const config::PretrainDatasetConfig& d, const std::string& folder,
                                          std::vector<std::string> files) {
  auto rel = [&](const std::string& f) { return fs::path(f).lexically_relative(folder).generic_string(); };
  if (!d.name.empty()) {
    std::vector<std::string> kept;
    for (const auto& f : files) {
      const std::string r = rel(f);
      if (r.rfind(d.name + "/", 0) == 0 || r.find("/" + d.name + "/") != std::string::npos) kept.push_back(f);
    }
    if (kept.empty()) {
      throw IoError(entry_problem("name", folder, "no folder of the dataset repository is named after the config "
                                  "name", d.name, "a subfolder " + d.name + "/ with .json/.jsonl files",
                                  "set data_files to the files to stream"));
    }
    files = std::move(kept);
  }
  const char* kSplits[] = {"train", "test", "validation", "valid", "dev"};
  auto names_split = [&](const std::string& f, const std::string& s) {
    const std::string base = rel(f);
    for (size_t at = base.find(s); at != std::string::npos; at = base.find(s, at + 1)) {
      const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(base[at - 1]));
      const size_t end = at + s.size();
      const bool right = end == base.size() || !std::isalnum(static_cast<unsigned char>(base[end]));
      if (left && right) return true;
    }
    return false;
  };
  bool any_split = false;
  for (const auto& f : files)
    for (const char* s : kSplits) any_split = any_split || names_split(f, s);
  if (!any_split) return files;
  std::vector<std::string> kept;
  for (const auto& f : files)
    if (names_split(f, d.split)) kept.push_back(f);
  if (kept.empty()) {
    throw IoError(entry_problem("split", folder, "no file of the dataset repository names this split", d.split,
                                "a file name with train / test / validation", "set split or data_files"));
  }
  return kept;
}

}  // namespace

std::vector<std::string> pretrain_files(const config::PretrainDatasetConfig& d) {
  std::error_code ec;
  if (hub_id(d.path)) {
    for (const auto& f : d.data_files) {  // before any download: names inside the repository only
      bool climbs = fs::path(f).is_absolute() || f.empty();
      for (const auto& part : fs::path(f)) climbs = climbs || part == "..";
      if (climbs) {
        throw IoError(entry_problem("data_files", d.path, "a Hub dataset's data_files must name files inside the "
                                    "repository", f, "a relative path without '..' (e.g. data/train.jsonl)"));
      }
    }
    const std::string folder = io::resolve_dataset_path(d.path);  // the snapshot in the huggingface_hub cache
    std::vector<std::string> files;
    for (const auto& f : d.data_files) {
      const fs::path p = fs::path(folder) / f;
      if (!fs::is_regular_file(p, ec)) {
        throw IoError(entry_problem("data_files", p.string(), "data file is not in the dataset repository", f,
                                    "a .json/.jsonl file of " + d.path));
      }
      files.push_back(p.string());
    }
    if (!files.empty()) return files;
    for (const auto& e : fs::recursive_directory_iterator(folder, ec))
      if (e.is_regular_file() && streamable(e.path())) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw IoError(entry_problem("path", folder, "the dataset repository holds no .json or .jsonl files", d.path,
                                  "JSONL (or JSON lines) data files", "convert parquet or csv files to JSONL"));
    }
    return narrow_hub_files(d, folder, std::move(files));
  }
  if (fs::is_regular_file(d.path, ec)) {
    if (!d.data_files.empty()) {
      throw ConfigError({entry_problem("data_files", d.path, "data_files need a folder as path", d.path,
                                       "path: FOLDER with data_files relative to it")});
    }
    return {d.path};
  }
  if (!fs::is_directory(d.path, ec)) {
    throw IoError(entry_problem("path", d.path, "pretraining data path does not exist", d.path,
                                "a file, a folder or a Hub dataset id (org/name)",
                                "relative paths start from the current folder"));
  }
  std::vector<std::string> out;
  if (!d.data_files.empty()) {
    for (const auto& f : d.data_files) {
      const fs::path p = fs::path(f).is_absolute() ? fs::path(f) : fs::path(d.path) / f;
      if (!fs::is_regular_file(p, ec)) {
        throw IoError(entry_problem("data_files", p.string(), "data file does not exist", f, "a file in " + d.path));
      }
      out.push_back(p.string());
    }
    return out;
  }
  for (const auto& e : fs::directory_iterator(d.path, ec))
    if (e.is_regular_file() && streamable(e.path())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  if (out.empty()) {
    throw IoError(entry_problem("path", d.path, "folder holds no .txt, .jsonl or .json files", d.path,
                                "text (one document per line) or JSONL files"));
  }
  return out;
}

PretrainBatches::PretrainBatches(std::vector<std::string> files, const Tokenizer& tokenizer, StreamOptions stream,
                                 PretrainBatchOptions options)
    : files_(files), stream_options_(stream), opt_(options), stream_(std::move(files), tokenizer, stream) {}

std::unique_ptr<PretrainBatches> PretrainBatches::from_config(const config::DataConfig& data,
                                                              std::vector<std::string> files,
                                                              const Tokenizer& tokenizer, int rows,
                                                              int gradient_accumulation_steps) {
  const config::PretrainDatasetConfig& d = data.pretrain.datasets.at(0);
  StreamOptions so;
  so.sequence_len = data.sequence_len;
  so.text_field = d.text_column;
  so.add_bos = tokenizer.add_bos();
  so.skip_documents = static_cast<uint64_t>(d.skip);
  PretrainBatchOptions po;
  po.rows = rows;
  po.gradient_accumulation_steps = gradient_accumulation_steps;
  po.isolate_documents = data.sample_packing && data.pretrain.multipack_attn;
  return std::make_unique<PretrainBatches>(std::move(files), tokenizer, so, po);
}

Batch PretrainBatches::micro_batch() {
  const int64_t seq = stream_options_.sequence_len;
  Batch b;
  b.rows = opt_.rows;
  b.seq_len = seq;
  const auto n = static_cast<size_t>(b.rows * seq);
  b.input_ids.reserve(n);
  b.labels.reserve(n);
  b.position_ids.reserve(n);
  b.segment_ids.reserve(n);
  std::vector<int64_t> starts;
  for (int64_t r = 0; r < b.rows; ++r) {
    const std::vector<int32_t> row = stream_.next(opt_.isolate_documents ? &starts : nullptr);  // (T,)
    int32_t segment = 1, position = 0;
    size_t next_start = 0;
    if (!starts.empty() && starts[0] == 0) next_start = 1;  // the row opens with a document of its own
    for (int64_t t = 0; t < seq; ++t) {
      if (next_start < starts.size() && starts[next_start] == t) {
        ++segment;
        position = 0;
        ++next_start;
      }
      b.input_ids.push_back(row[static_cast<size_t>(t)]);
      b.labels.push_back(position == 0 ? kIgnoreIndex : row[static_cast<size_t>(t)]);
      b.position_ids.push_back(position++);
      b.segment_ids.push_back(segment);
      b.trained_tokens += position > 1;
    }
    b.samples += segment;
    b.tokens += seq;
  }
  return b;
}

StepBatch PretrainBatches::next() {
  StepBatch sb;
  for (int m = 0; m < opt_.gradient_accumulation_steps; ++m) {
    sb.micro.push_back(micro_batch());
    sb.trained_tokens += sb.micro.back().trained_tokens;
  }
  sb.epoch = 0;
  sb.index = steps_++;
  return sb;
}

nlohmann::json PretrainBatches::state() const {
  return {{"files", files_}, {"sequence_len", stream_options_.sequence_len}, {"skip", stream_options_.skip_documents},
          {"steps", steps_}, {"position", to_json(stream_.position())}};
}

void PretrainBatches::restore(const nlohmann::json& state) {
  auto differs = [&](const char* what, const std::string& found, const std::string& expected) {
    Diagnostic d;
    d.key = "pretraining_dataset";
    d.message = std::string("the checkpoint's stream was written for other ") + what;
    d.found = found;
    d.expected = expected;
    d.hint = "resume with the pretraining_dataset, skip and sequence_len of the checkpoint's run, or start afresh";
    throw Error(d);
  };
  try {
    const auto files = state.at("files").get<std::vector<std::string>>();
    if (files != files_) {
      differs("files", std::to_string(files.size()) + " file(s), first " + (files.empty() ? "" : files[0]),
              std::to_string(files_.size()) + " file(s), first " + files_[0]);
    }
    if (state.at("sequence_len").get<int64_t>() != stream_options_.sequence_len)
      differs("sequence_len", state["sequence_len"].dump(), std::to_string(stream_options_.sequence_len));
    if (state.at("skip").get<uint64_t>() != stream_options_.skip_documents)
      differs("skip", state["skip"].dump(), std::to_string(stream_options_.skip_documents));
    const StreamPosition position = stream_position_from_json(state.at("position"));
    steps_ = state.at("steps").get<int64_t>();
    stream_.seek(position);
  } catch (const nlohmann::json::exception& e) {
    throw Error(Diagnostic{{}, "pretraining_dataset", "malformed stream state in the checkpoint", e.what(),
                           "{files, sequence_len, skip, steps, position}", {}});
  }
}

}  // namespace axolotl::data
