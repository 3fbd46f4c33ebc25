// Per-batch objective metrics (see metric_table.h).
#include "axolotl/train/metric_table.h"

#include <algorithm>

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

// Reductions whose (Σ value·weight, Σ weight) pair the all-reduce sums directly.
bool summed(MetricReduce r) { return r == MetricReduce::kMean || r == MetricReduce::kPooled; }

}  // namespace

MetricTable::MetricTable(std::vector<std::string> names, std::vector<MetricReduce> reduces, int world, int rank)
    : names_(std::move(names)), reduces_(std::move(reduces)), world_(std::max(1, world)), rank_(rank) {
  reduces_.resize(names_.size(), MetricReduce::kMean);
  for (MetricReduce r : reduces_) {
    offsets_.push_back(block_);
    block_ += summed(r) ? 2 : 2 * static_cast<size_t>(world_);
  }
}

size_t MetricTable::add_batch() {
  sums_.resize(sums_.size() + block_, 0.0);
  return block_ == 0 ? 0 : batches() - 1;
}

void MetricTable::add(size_t batch, const Metrics& metrics) {
  for (const Metric& m : metrics) {
    const auto k = static_cast<size_t>(std::find(names_.begin(), names_.end(), m.name) - names_.begin());
    if (k == names_.size()) throw Error("objective metric '" + m.name + "' is not in its metric_names()");
    double* at = sums_.data() + batch * block_ + offsets_[k];
    if (summed(reduces_[k])) {
      at[0] += m.sum;
      at[1] += m.weight;
      continue;
    }
    at += 2 * static_cast<size_t>(rank_);  // this rank's slot: the value, and 1 for "present"
    const double v = m.sum / m.weight;
    const bool first = at[1] == 0.0;
    at[0] = first ? v : reduces_[k] == MetricReduce::kMin ? std::min(at[0], v) : std::max(at[0], v);
    at[1] = 1.0;
  }
}

std::optional<double> MetricTable::value(size_t batch, size_t k) const {
  const double* at = sums_.data() + batch * block_ + offsets_[k];
  if (summed(reduces_[k])) {
    if (at[1] <= 0) return std::nullopt;
    return at[0] / at[1];
  }
  std::optional<double> out;
  for (int r = 0; r < world_; ++r, at += 2) {
    if (at[1] <= 0) continue;
    out = !out ? at[0] : reduces_[k] == MetricReduce::kMin ? std::min(*out, at[0]) : std::max(*out, at[0]);
  }
  return out;
}

std::vector<std::pair<std::string, double>> MetricTable::values() const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t b = 0; b < batches(); ++b)
    for (size_t k = 0; k < names_.size(); ++k)
      if (const auto v = value(b, k)) out.emplace_back(names_[k], *v);
  return out;
}

std::vector<std::pair<std::string, double>> MetricTable::means(const std::vector<std::string>& names) const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t k = 0; k < names_.size(); ++k) {
    if (!names.empty() && std::find(names.begin(), names.end(), names_[k]) == names.end()) continue;
    if (reduces_[k] == MetricReduce::kPooled) {
      double sum = 0.0, weight = 0.0;
      for (size_t b = 0; b < batches(); ++b) {
        sum += sums_[b * block_ + offsets_[k]];
        weight += sums_[b * block_ + offsets_[k] + 1];
      }
      if (weight > 0) out.emplace_back(names_[k], sum / weight);
      continue;
    }
    double total = 0.0;
    int count = 0;
    for (size_t b = 0; b < batches(); ++b) {
      if (const auto v = value(b, k)) {
        total += *v;
        ++count;
      }
    }
    if (count > 0) out.emplace_back(names_[k], total / count);
  }
  return out;
}

}  // namespace axolotl::train
