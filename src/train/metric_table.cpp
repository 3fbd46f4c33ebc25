// Per-batch objective metrics (see metric_table.h).
#include "axolotl/train/metric_table.h"

#include <algorithm>

#include "axolotl/util/error.h"

namespace axolotl::train {

size_t MetricTable::add_batch() {
  sums_.resize(sums_.size() + names_.size() * 2, 0.0);
  return names_.empty() ? 0 : sums_.size() / (names_.size() * 2) - 1;
}

void MetricTable::add(size_t batch, const Metrics& metrics) {
  for (const Metric& m : metrics) {
    const auto k = static_cast<size_t>(std::find(names_.begin(), names_.end(), m.name) - names_.begin());
    if (k == names_.size()) throw Error("objective metric '" + m.name + "' is not in its metric_names()");
    sums_[(batch * names_.size() + k) * 2] += m.sum;
    sums_[(batch * names_.size() + k) * 2 + 1] += m.weight;
  }
}

std::vector<std::pair<std::string, double>> MetricTable::values() const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < sums_.size(); i += 2)
    if (sums_[i + 1] > 0) out.emplace_back(names_[(i / 2) % names_.size()], sums_[i] / sums_[i + 1]);
  return out;
}

std::vector<std::pair<std::string, double>> MetricTable::means(const std::vector<std::string>& names) const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t k = 0; k < names_.size(); ++k) {
    if (!names.empty() && std::find(names.begin(), names.end(), names_[k]) == names.end()) continue;
    double total = 0.0;
    int count = 0;
    for (size_t i = k * 2; i < sums_.size(); i += names_.size() * 2) {
      if (sums_[i + 1] <= 0) continue;
      total += sums_[i] / sums_[i + 1];
      ++count;
    }
    if (count > 0) out.emplace_back(names_[k], total / count);
  }
  return out;
}

}  // namespace axolotl::train
