// Reference log-probs computed once before training (precompute_ref_log_probs: true): each sequence's
// summed completion log-prob under the reference, keyed by the sequence's tokens and labels, so that a
// batch of any order or padding finds its rows (TRL stores them as dataset columns). With full
// fine-tuning this replaces the frozen reference copy: the pass runs on the initial weights.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "axolotl/train/causal_lm_loss.h"

namespace axolotl::train {

class ReferenceCache {
 public:
  // Stores `logps` (N) for the N rows of `batch`.
  void store(const BatchTensors& batch, const torch::Tensor& logps);
  // (N) float32 on the batch's device; Error naming the row when one was never stored.
  torch::Tensor find(const BatchTensors& batch) const;
  size_t size() const { return map_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& k) const { return static_cast<size_t>(k.first ^ (k.second * 31)); }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, float, KeyHash> map_;
};

}  // namespace axolotl::train
