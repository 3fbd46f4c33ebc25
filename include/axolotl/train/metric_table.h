// The objective metrics of one optimizer step (or one evaluation) laid out for a single all-reduce:
// [batch][name] -> (Σ value·weight, Σ weight) over the ranks' shares (objective.h Metric). TRL appends
// one value per batch and logs their mean, so a name's value is the mean over the batches that report it.
// A metric reduced by min or max over the ranks (TRL's min_reward of gathered rewards) takes one
// (value, present) slot per rank instead, so that the same sum-all-reduce carries it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "axolotl/train/objective.h"

namespace axolotl::train {

class MetricTable {
 public:
  // `reduces` runs parallel to `names` (empty: every name a weighted mean); `world`/`rank` place this
  // rank's min/max slots.
  explicit MetricTable(std::vector<std::string> names, std::vector<MetricReduce> reduces = {}, int world = 1,
                       int rank = 0);
  // Opens the next batch's row; returns its index.
  size_t add_batch();
  // Adds this rank's metrics of `batch`. Error for a name not in the objective's metric_names().
  void add(size_t batch, const Metrics& metrics);
  // The flat layout: append to an all-reduce (sum), then write the sums back.
  std::vector<double>& numbers() { return sums_; }
  // (name, value) of each batch that reports the name, batch by batch.
  std::vector<std::pair<std::string, double>> values() const;
  // (name, mean over batches) for each of `names` (all when empty) that some batch reports (kPooled:
  // Σ sum / Σ weight over the batches).
  std::vector<std::pair<std::string, double>> means(const std::vector<std::string>& names = {}) const;

 private:
  std::optional<double> value(size_t batch, size_t name) const;
  size_t batches() const { return block_ == 0 ? 0 : sums_.size() / block_; }

  std::vector<std::string> names_;
  std::vector<MetricReduce> reduces_;
  std::vector<size_t> offsets_;  // of each name within a batch's block
  size_t block_ = 0;             // numbers per batch
  int world_ = 1, rank_ = 0;
  std::vector<double> sums_;
};

}  // namespace axolotl::train
