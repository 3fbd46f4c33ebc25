// Streaming pretraining rows (see pretrain_stream.h).
#include "axolotl/data/pretrain_stream.h"

#include <algorithm>
#include <filesystem>

#include "axolotl/util/error.h"

namespace axolotl::data {
namespace {

bool is_jsonl(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".jsonl" || ext == ".json";
}

Error stream_error(const std::string& file, const std::string& key, const std::string& message,
                   const std::string& found, const std::string& expected, const std::string& hint = {}) {
  Diagnostic d;
  d.where.file = file;
  d.key = key;
  d.message = message;
  d.found = found;
  d.expected = expected;
  d.hint = hint;
  return Error(d);
}

}  // namespace

nlohmann::json to_json(const StreamPosition& p) {
  return {{"file", p.file}, {"offset", p.offset}, {"consumed", p.consumed}, {"pass", p.pass}, {"rows", p.rows}};
}

StreamPosition stream_position_from_json(const nlohmann::json& j) {
  StreamPosition p;
  try {
    p.file = j.at("file").get<uint64_t>();
    p.offset = j.at("offset").get<uint64_t>();
    p.consumed = j.at("consumed").get<uint64_t>();
    p.pass = j.at("pass").get<uint64_t>();
    p.rows = j.at("rows").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw stream_error({}, "stream", "malformed stream position", e.what(), "{file, offset, consumed, pass, rows}");
  }
  return p;
}

PretrainStream::PretrainStream(std::vector<std::string> files, const Tokenizer& tokenizer, StreamOptions options)
    : files_(std::move(files)), tok_(tokenizer), opt_(std::move(options)) {
  if (files_.empty()) throw stream_error({}, "pretraining_dataset", "no files to stream", {}, "one or more files");
  if (opt_.sequence_len <= 0) {
    throw stream_error({}, "sequence_len", "must be positive", std::to_string(opt_.sequence_len), "> 0");
  }
}

void PretrainStream::open_file(uint64_t index, uint64_t offset) {
  in_.close();
  in_.clear();
  in_.open(files_.at(index), std::ios::binary);
  if (!in_) {
    Diagnostic d;
    d.where.file = files_[index];
    d.key = "pretraining_dataset";
    d.message = "cannot open the file to stream";
    throw IoError(d);
  }
  in_.seekg(static_cast<std::streamoff>(offset));
  if (!in_) {
    throw stream_error(files_[index], "pretraining_dataset", "stream position past the end of the file",
                       std::to_string(offset), "an offset inside the file", "was the file changed since the checkpoint?");
  }
  in_file_ = index;
  next_offset_ = offset;
}

bool PretrainStream::read_document() {
  std::string line;
  for (;;) {
    const uint64_t start = next_offset_;
    if (!std::getline(in_, line)) return false;
    next_offset_ += line.size() + (in_.eof() ? 0 : 1);
    std::string text;
    if (is_jsonl(files_[in_file_])) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw stream_error(files_[in_file_], "pretraining_dataset", "line at byte " + std::to_string(start) +
                           " is not valid JSON", e.what(), "one JSON object per line");
      }
      auto it = j.find(opt_.text_field);
      if (!j.is_object() || it == j.end() || !it->is_string()) {
        throw stream_error(files_[in_file_], opt_.text_field, "line at byte " + std::to_string(start) +
                           " has no string field '" + opt_.text_field + "'", line.substr(0, 80), "a string");
      }
      text = it->get<std::string>();
    } else {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;  // blank lines separate nothing to learn
      text.swap(line);
    }
    doc_ = tok_.encode(text, opt_.add_bos && tok_.bos_id() >= 0, false);  // (n,) of one document
    if (tok_.eos_id() >= 0) doc_.push_back(tok_.eos_id());
    doc_used_ = 0;
    doc_offset_ = start;
    if (!doc_.empty()) token_seen_in_pass_ = true;
    return true;
  }
}

void PretrainStream::start_pass() {
  open_file(0, 0);
  std::string line;
  for (uint64_t skipped = 0; skipped < opt_.skip_documents;) {
    if (std::getline(in_, line)) {
      next_offset_ += line.size() + (in_.eof() ? 0 : 1);
      // the lines read_document() would take as a document
      const bool doc = is_jsonl(files_[in_file_]) ? line.find_first_not_of(" \t\r") != std::string::npos
                                                  : !(line.empty() || line == "\r");
      if (doc) ++skipped;
      continue;
    }
    if (in_file_ + 1 == files_.size()) {
      throw stream_error(files_.front(), "skip", "skip is not smaller than the number of documents",
                         std::to_string(opt_.skip_documents), "fewer than the " + std::to_string(skipped) +
                         " documents in " + std::to_string(files_.size()) + " file(s)");
    }
    open_file(in_file_ + 1, 0);
  }
}

std::vector<int32_t> PretrainStream::next(std::vector<int64_t>* starts) {
  const auto seq = static_cast<size_t>(opt_.sequence_len);
  std::vector<int32_t> row;  // (sequence_len,)
  row.reserve(seq);
  if (starts) starts->clear();
  if (in_file_ == UINT64_MAX) start_pass();
  while (row.size() < seq) {
    if (doc_used_ < doc_.size()) {
      if (starts && doc_used_ == 0) starts->push_back(static_cast<int64_t>(row.size()));
      const size_t take = std::min(seq - row.size(), doc_.size() - doc_used_);
      row.insert(row.end(), doc_.begin() + static_cast<long>(doc_used_), doc_.begin() + static_cast<long>(doc_used_ + take));
      doc_used_ += take;
      continue;
    }
    if (read_document()) continue;
    // End of this file: the next one, or a new pass from the first.
    uint64_t file = in_file_ + 1;
    if (file == files_.size()) {
      if (!token_seen_in_pass_) {
        throw stream_error(files_.front(), opt_.skip_documents > 0 ? "skip" : "pretraining_dataset",
                           opt_.skip_documents > 0 ? "a whole pass over the files yielded no token after skip: " +
                                                         std::to_string(opt_.skip_documents)
                                                   : std::string("a whole pass over the files yielded no token"),
                           std::to_string(files_.size()) + " file(s)", "text to train on");
      }
      token_seen_in_pass_ = false;
      ++pos_.pass;
      start_pass();
      continue;
    }
    open_file(file, 0);
  }
  pos_.file = in_file_;
  pos_.offset = doc_offset_;
  pos_.consumed = doc_used_;
  ++pos_.rows;
  return row;
}

void PretrainStream::seek(const StreamPosition& position) {
  if (position.file >= files_.size()) {
    throw stream_error({}, "pretraining_dataset", "stream position names a file that is not in the list",
                       std::to_string(position.file), "< " + std::to_string(files_.size()));
  }
  pos_ = position;
  doc_.clear();
  doc_used_ = 0;
  if (position.rows == 0) {  // nothing emitted yet: the first row starts a pass (with its skip)
    in_.close();
    in_file_ = UINT64_MAX;
    return;
  }
  open_file(position.file, position.offset);
  token_seen_in_pass_ = true;  // the checkpoint was written after tokens of this pass
  if (!read_document() || doc_offset_ != position.offset || position.consumed > doc_.size()) {
    throw stream_error(files_[position.file], "pretraining_dataset", "the stream position does not fit the file",
                       "document at byte " + std::to_string(position.offset) + ", " +
                           std::to_string(position.consumed) + " tokens used",
                       "the file the checkpoint was trained on", "was the file or the tokenizer changed?");
  }
  doc_used_ = position.consumed;
}

}  // namespace axolotl::data
