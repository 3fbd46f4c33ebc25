// Streaming pretraining rows (Axolotl's pretraining_dataset / streaming: true, local files): text
// files (one document per line, as datasets' "text" loader) or JSONL (a string field, "text" by
// default) are read line by line, each document tokenized (+ eos) and appended to one token stream
// that is cut into rows of exactly sequence_len tokens, as Axolotl's packed pretraining does.
// Memory holds one document and its tokens, never the file: peak RSS does not grow with file size.
// The position after each row is (file, byte offset of the current document, tokens of it already
// emitted), so a resumed stream yields exactly the rows an uninterrupted one would. Limits: one
// document must fit in memory; files are read in the order given, then again from the first.
// `skip_documents` (Axolotl's dataset `skip`) drops the first N documents of every pass unread by
// the tokenizer (a document is a non-blank line).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

struct StreamPosition {
  uint64_t file = 0;      // index into the file list
  uint64_t offset = 0;    // byte offset of the document that is being emitted (its line start)
  uint64_t consumed = 0;  // tokens of that document already in emitted rows
  uint64_t pass = 0;      // completed passes over all files
  uint64_t rows = 0;      // rows emitted so far
  bool operator==(const StreamPosition& o) const {
    return file == o.file && offset == o.offset && consumed == o.consumed && pass == o.pass && rows == o.rows;
  }
};

// For the checkpoint's training progress file; from_json throws Error on a malformed object.
nlohmann::json to_json(const StreamPosition& p);
StreamPosition stream_position_from_json(const nlohmann::json& j);

struct StreamOptions {
  int64_t sequence_len = 2048;
  std::string text_field = "text";  // JSONL files (.jsonl/.json); other files are plain text
  bool add_bos = true;              // tokenizer bos before each document when it has one
  uint64_t skip_documents = 0;      // documents skipped at the start of every pass
};

class PretrainStream {
 public:
  // Opens nothing yet; IoError on the first read of a missing file, Error on an empty stream.
  PretrainStream(std::vector<std::string> files, const Tokenizer& tokenizer, StreamOptions options);

  // The next row of sequence_len tokens (labels are the ids themselves). Wraps around at the end of
  // the last file (a new pass); throws Error when a whole pass yields no token.
  // `starts` (optional) receives the row positions where a document begins (its first token, bos
  // included); a row that continues a document from the previous row has no start at 0.
  std::vector<int32_t> next(std::vector<int64_t>* starts = nullptr);
  const StreamPosition& position() const { return pos_; }
  // Continues exactly after the row that `position()` was read from.
  void seek(const StreamPosition& position);

 private:
  // Reads the next document into doc_ (its tokens) starting at the current file offset; false at
  // the end of the current file.
  bool read_document();
  void open_file(uint64_t index, uint64_t offset);
  // Opens the first file and skips opt_.skip_documents documents (over as many files as needed).
  void start_pass();

  std::vector<std::string> files_;
  const Tokenizer& tok_;
  StreamOptions opt_;
  std::ifstream in_;
  uint64_t in_file_ = UINT64_MAX;  // file in_ has open
  uint64_t next_offset_ = 0;       // offset of the line after the current document
  std::vector<int32_t> doc_;       // tokens of the current document
  size_t doc_used_ = 0;            // of doc_, already taken into rows (or the pending row)
  uint64_t doc_offset_ = 0;
  StreamPosition pos_;
  bool token_seen_in_pass_ = false;
};

}  // namespace axolotl::data
