// Dataset record reading: file listing, streamed JSONL, whole-file JSON with element line numbers.
#include "axolotl/data/record_reader.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "axolotl/io/hub_resolve.h"

namespace axolotl::data {
namespace fs = std::filesystem;

namespace {

bool has_data_extension(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".json" || ext == ".jsonl";
}

bool looks_like_hub_id(const std::string& path) {
  if (path.empty() || path[0] == '.' || path[0] == '/') return false;
  return std::count(path.begin(), path.end(), '/') == 1 && !has_data_extension(path);
}

// 1-based line and column of byte `offset` in `text`.
std::pair<int, int> line_col(const std::string& text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// Lines where the elements of the top-level array (depth 1) or of the array under a top-level key
// (depth 2) start. Scans strings and escapes; assumes the text already parsed as valid JSON.
std::vector<int> element_lines(const std::string& text, int array_depth) {
  std::vector<int> lines;
  int depth = 0, line = 1;
  bool in_string = false, escape = false, expect_element = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (expect_element && c != ']') {
      lines.push_back(line);
      expect_element = false;
    } else {
      expect_element = false;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      ++depth;
      if (c == '[' && depth == array_depth) expect_element = true;
    } else if (c == ']' || c == '}') --depth;
    else if (c == ',' && depth == array_depth) expect_element = true;
  }
  return lines;
}

// A Hub dataset's data_files name files inside its repository, like Hub file names: never an
// absolute path or one that climbs out with "..".
void check_hub_data_file(const std::string& repo, const std::string& f) {
  const fs::path p(f);
  bool climbs = false;
  for (const auto& part : p) climbs = climbs || part == "..";
  if (!p.is_absolute() && !climbs && !f.empty()) return;
  Diagnostic d;
  d.key = "data_files";
  d.message = "a Hub dataset's data_files must name files inside the repository " + repo;
  d.found = f;
  d.expected = "a relative path without '..' (e.g. data/train.jsonl)";
  throw IoError(d);
}

}  // namespace

std::vector<std::string> list_data_files(const std::string& name_or_path, const std::vector<std::string>& data_files) {
  std::error_code ec;
  // A Hub dataset id ("org/name" or "org/name@revision") becomes its snapshot folder in the cache.
  const bool from_hub = !fs::exists(name_or_path, ec) && looks_like_hub_id(name_or_path);
  if (from_hub)  // before any download: names that climb out of the repository never reach the Hub
    for (const auto& f : data_files) check_hub_data_file(name_or_path, f);
  const std::string path = from_hub ? io::resolve_dataset_path(name_or_path) : name_or_path;
  if (!data_files.empty()) {
    std::vector<std::string> out;
    for (const auto& f : data_files) {
      fs::path p = fs::path(f).is_absolute() || !fs::is_directory(path, ec) ? fs::path(f) : fs::path(path) / f;
      if (!fs::is_regular_file(p, ec)) {
        Diagnostic d;
        d.where.file = p.string();
        d.key = "data_files";
        d.message = "dataset file does not exist";
        throw IoError(d);
      }
      out.push_back(p.string());
    }
    return out;
  }
  if (fs::is_regular_file(path, ec)) return {path};
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> out;
    auto add = [&](const fs::directory_entry& entry) {
      if (entry.is_regular_file() && has_data_extension(entry.path())) out.push_back(entry.path().string());
    };
    if (from_hub) {  // Hub dataset repos keep their files in subfolders (data/train-*.jsonl)
      for (const auto& entry : fs::recursive_directory_iterator(path, ec)) add(entry);
    } else {
      for (const auto& entry : fs::directory_iterator(path, ec)) add(entry);
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) {
      Diagnostic d;
      d.where.file = path;
      d.key = "datasets.path";
      d.message = "folder holds no .json or .jsonl files";
      throw IoError(d);
    }
    return out;
  }
  Diagnostic d;
  d.where.file = path;
  d.key = "datasets.path";
  d.message = "dataset path does not exist";
  if (looks_like_hub_id(path)) {
    d.hint = "this looks like a Hugging Face Hub dataset id but nothing could be found for it";
  }
  throw IoError(d);
}

RecordReader::RecordReader(const std::string& file, const std::string& field, const std::string& ds_type)
    : file_(file) {
  std::error_code ec;
  size_ = fs::file_size(file, ec);
  in_.open(file, std::ios::binary);
  if (!in_) {
    Diagnostic d;
    d.where.file = file;
    d.message = "cannot open dataset file";
    throw IoError(d);
  }
  if (size_ == 0) {
    Diagnostic d;
    d.where.file = file;
    d.message = "dataset file is empty";
    throw IoError(d);
  }
  std::string ext = fs::path(file).extension().string();
  jsonl_ = ds_type == "jsonl" || (ds_type.empty() && ext == ".jsonl");
  if (!jsonl_) {
    // A .json file may still be JSON Lines (HF `datasets` accepts both): peek at the first record.
    char first = 0;
    while (in_.get(first) && std::isspace(static_cast<unsigned char>(first))) {
    }
    in_.clear();
    in_.seekg(0);
    if (first == '{' && field.empty()) {
      // One object per line or one object holding rows: decide by whether the whole file parses.
      std::stringstream ss;
      ss << in_.rdbuf();
      std::string text = ss.str();
      auto j = nlohmann::json::parse(text, nullptr, false);
      in_.clear();
      in_.seekg(0);
      jsonl_ = j.is_discarded();
      if (!jsonl_ && j.is_object()) jsonl_ = true;  // a single-object file is one JSONL record
    }
    if (!jsonl_) load_whole_json(field);
  }
}

RecordReader::~RecordReader() = default;

uint64_t RecordReader::bytes_read() const {
  if (!jsonl_) return rows_.empty() ? size_ : size_ * next_row_ / std::max<size_t>(1, rows_.size());
  auto& in = const_cast<std::ifstream&>(in_);
  auto pos = in.tellg();
  return pos < 0 ? size_ : static_cast<uint64_t>(pos);
}

void RecordReader::load_whole_json(const std::string& field) {
  std::stringstream ss;
  ss << in_.rdbuf();
  std::string text = ss.str();
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number too large
    const auto* p = dynamic_cast<const nlohmann::json::parse_error*>(&e);
    auto [line, col] = line_col(text, p && p->byte > 0 ? p->byte - 1 : 0);
    Diagnostic d;
    d.where = {file_, line, col};
    d.message = "malformed JSON";
    d.found = e.what();
    throw IoError(d);
  }
  int depth = 1;
  if (j.is_object()) {
    std::string key = field;
    if (key.empty()) {
      Diagnostic d;
      d.where.file = file_;
      d.key = "field";
      d.message = "JSON file holds an object; name the key that holds the rows with `field`";
      throw IoError(d);
    }
    if (!j.contains(key) || !j[key].is_array()) {
      Diagnostic d;
      d.where.file = file_;
      d.key = key;
      d.message = "key missing or not an array of rows";
      throw IoError(d);
    }
    rows_ = std::move(j[key]);
    depth = 2;
  } else if (j.is_array()) {
    rows_ = std::move(j);
  } else {
    Diagnostic d;
    d.where.file = file_;
    d.message = "JSON file must hold an array of rows or an object with a `field` array";
    throw IoError(d);
  }
  if (rows_.empty()) {
    Diagnostic d;
    d.where.file = file_;
    d.message = "dataset file has no rows";
    throw IoError(d);
  }
  row_lines_ = element_lines(text, depth);
  if (depth == 2 || row_lines_.size() != rows_.size()) row_lines_.clear();  // nested: lines unknown
}

bool RecordReader::next(Record& out, Diagnostic* bad) {
  if (!next_unparsed(out, line_)) return false;
  if (jsonl_) parse_line(line_, out, bad);
  return true;
}

bool RecordReader::next_unparsed(Record& out, std::string& text) {
  if (!jsonl_) {
    text.clear();
    if (next_row_ >= rows_.size()) return false;
    out.value = std::move(rows_[next_row_]);
    out.where = {file_, row_lines_.empty() ? 0 : row_lines_[next_row_], 0};
    out.index = static_cast<int64_t>(next_row_);
    ++next_row_;
    return true;
  }
  while (std::getline(in_, text)) {
    ++line_no_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.where = {file_, line_no_, 0};
    out.index = count_++;
    out.value = nullptr;
    return true;
  }
  if (count_ == 0) {
    Diagnostic d;
    d.where.file = file_;
    d.message = "dataset file has no records (only blank lines)";
    throw IoError(d);
  }
  return false;
}

bool RecordReader::parse_line(const std::string& text, Record& out, Diagnostic* bad) {
  try {
    out.value = nlohmann::ordered_json::parse(text);
    return true;
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number too large
    const auto* p = dynamic_cast<const nlohmann::json::parse_error*>(&e);
    Diagnostic d;
    d.where = {out.where.file, out.where.line, p ? static_cast<int>(p->byte) : 0};
    d.message = "malformed JSON line";
    d.found = e.what();
    if (!bad) throw IoError(d);
    *bad = d;
    out.value = nullptr;
    return false;
  }
}

}  // namespace axolotl::data
