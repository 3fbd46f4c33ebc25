// The values of one key of metrics.jsonl in an output folder, in order, read as plain JSON lines (for
// end-to-end tests that do not link the engine; logged_losses.h reads through train/metrics_writer.h).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace axolotl::train::testing_support {

inline std::vector<double> logged_values(const std::filesystem::path& out, const std::string& key) {
  std::vector<double> v;
  std::ifstream in(out / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains(key) && j[key].is_number()) v.push_back(j[key].get<double>());
  }
  return v;
}

}  // namespace axolotl::train::testing_support
