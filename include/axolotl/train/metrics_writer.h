// metrics.jsonl in the output folder: one JSON object per logging or eval step, each line flushed as it
// is written (tests and tools tail it). On resume the lines past the checkpoint's step are dropped,
// so the file reads as one uninterrupted run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/io/append_file.h"

namespace axolotl::train {

class MetricsWriter {
 public:
  // Fresh file when resume_step < 0; otherwise keeps the existing lines with "step" <= resume_step.
  MetricsWriter(const std::string& path, int64_t resume_step);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<io::AppendFile> file_;
};

// Every line of a metrics.jsonl (IoError naming the file and line on bad JSON).
std::vector<nlohmann::json> read_metrics(const std::string& path);

}  // namespace axolotl::train
