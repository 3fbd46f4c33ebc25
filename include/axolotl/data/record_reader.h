// Reads dataset records from local .json (array, or object whose `field` holds the array) and .jsonl
// files, or a folder of them. JSONL is streamed line by line (bounded memory); .json is parsed whole.
// Every record carries its file:line so that later errors can name it. Hub dataset ids are refused.
// Records keep their key order (nlohmann::ordered_json), as Python dicts do: a chat template's
// `{{ tool | tojson }}` prints the keys in the row's order.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "axolotl/util/error.h"

namespace axolotl::data {

struct Record {
  nlohmann::ordered_json value;
  Location where;  // file and 1-based line of the record's start (line 0 when unknown)
  int64_t index = 0;  // 0-based position of the record in its file
};

// The data files a dataset path names: the file itself, or the .json/.jsonl files of a folder
// (sorted by name). `data_files` (relative to the folder, or absolute) restricts the list.
// Throws IoError for a missing path (with a hint when it looks like a Hub id) or an empty folder.
std::vector<std::string> list_data_files(const std::string& path, const std::vector<std::string>& data_files = {});

// Streams the records of one file. `field`: for .json objects, the key holding the rows.
// `ds_type` "json" | "jsonl" | "" (from the extension; .json files whose first character is not
// '[' or '{' ... are read as JSONL). Malformed input throws IoError naming file:line.
class RecordReader {
 public:
  RecordReader(const std::string& file, const std::string& field = "", const std::string& ds_type = "");
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Fills `out` with the next record; false at the end. A malformed JSONL line throws IoError
  // unless `bad` is given, in which case the Diagnostic is stored there and true is returned with
  // out.value discarded (null).
  bool next(Record& out, Diagnostic* bad = nullptr);
  // next() in two halves, so that the JSON parse of a JSONL line can run on a worker thread:
  // next_unparsed gives the record's place and, for JSONL, its line in `text` (out.value null; pass
  // both to parse_line); for a .json file the parsed record and an empty `text`.
  bool next_unparsed(Record& out, std::string& text);
  // Parses a JSONL line into out.value; a malformed one throws IoError naming out.where, or, with
  // `bad`, is stored there (out.value null) and false is returned.
  static bool parse_line(const std::string& text, Record& out, Diagnostic* bad = nullptr);

  const std::string& file() const { return file_; }
  // Bytes consumed so far and the file's size (for progress).
  uint64_t bytes_read() const;
  uint64_t size() const { return size_; }

 private:
  void load_whole_json(const std::string& field);

  std::string file_;
  uint64_t size_ = 0;
  bool jsonl_ = true;
  std::ifstream in_;
  std::string line_;
  int line_no_ = 0;
  int64_t count_ = 0;
  // .json mode: rows parsed up front, with the line of each top-level element when known
  nlohmann::ordered_json rows_;
  std::vector<int> row_lines_;
  size_t next_row_ = 0;
};

}  // namespace axolotl::data
