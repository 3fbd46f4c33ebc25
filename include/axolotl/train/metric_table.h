// The objective metrics of one optimizer step (or one evaluation) laid out for a single all-reduce:
// [batch][name] -> (Σ value·weight, Σ weight) over the ranks' shares (objective.h Metric). TRL appends
// one value per batch and logs their mean, so a name's value is the mean over the batches that report it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "axolotl/train/objective.h"

namespace axolotl::train {

class MetricTable {
 public:
  explicit MetricTable(std::vector<std::string> names) : names_(std::move(names)) {}
  // Opens the next batch's row; returns its index.
  size_t add_batch();
  // Adds this rank's metrics of `batch`. Error for a name not in the objective's metric_names().
  void add(size_t batch, const Metrics& metrics);
  // The flat (Σ value, Σ weight) layout: append to an all-reduce, then write the sums back.
  std::vector<double>& numbers() { return sums_; }
  // (name, value) of each batch that reports the name, batch by batch.
  std::vector<std::pair<std::string, double>> values() const;
  // (name, mean over batches) for each of `names` (all when empty) that some batch reports.
  std::vector<std::pair<std::string, double>> means(const std::vector<std::string>& names = {}) const;

 private:
  std::vector<std::string> names_;
  std::vector<double> sums_;
};

}  // namespace axolotl::train
