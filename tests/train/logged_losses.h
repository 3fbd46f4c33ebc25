// The `loss` of every logging step in an output folder's metrics.jsonl, in order (end-to-end tests).
#pragma once

#include <filesystem>
#include <vector>

#include "axolotl/train/metrics_writer.h"

namespace axolotl::train::testing_support {

inline std::vector<double> logged_losses(const std::filesystem::path& out) {
  std::vector<double> v;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
    if (j.contains("loss")) v.push_back(j["loss"].get<double>());
  return v;
}

}  // namespace axolotl::train::testing_support
