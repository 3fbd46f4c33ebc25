// metrics.jsonl writer/reader.
#include "axolotl/io/atomic_file.h"
#include "axolotl/train/metrics_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  Diagnostic d;
  d.where.file = path;
  d.message = what;
  d.found = std::strerror(errno);
  throw IoError(d);
}

}  // namespace

std::vector<nlohmann::json> read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot read the metrics file");
  std::vector<nlohmann::json> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      Diagnostic d;
      d.where = {path, n, 1};
      d.message = "not a JSON object";
      throw IoError(d);
    }
    out.push_back(std::move(j));
  }
  return out;
}

MetricsWriter::MetricsWriter(const std::string& path, int64_t resume_step) : path_(path) {
  std::string kept;
  if (resume_step >= 0 && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);  // a torn last line is dropped too
      if (j.is_object() && j.value("step", int64_t{0}) <= resume_step) kept += line + "\n";
    }
  }
  io::write_file_atomic(path, kept);
  file_ = std::make_unique<io::AppendFile>(path, io::AppendFile::Mode::kAppend);
}

MetricsWriter::~MetricsWriter() = default;

void MetricsWriter::write(const nlohmann::json& record) {
  // NaN/inf are not JSON: nlohmann writes them as null, which readers treat as "not a number".
  file_->write(record.dump() + "\n");
}

}  // namespace axolotl::train
