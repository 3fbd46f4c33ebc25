// Sample packing: rows into bins of `capacity` tokens, first-fit decreasing within groups of
// `group_size` rows (Axolotl's multipack processes groups too; FORMATS.md §8), at most
// `max_per_bin` rows per bin. O(n log n) with a segment tree over the bins' free space. Or, with
// `sequential`, next-fit in the given order (Axolotl's sample_packing_sequentially).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace axolotl::data {

struct PackingOptions {
  int64_t capacity = 2048;        // tokens per bin (sequence_len)
  int max_per_bin = 200;          // sample_packing_bin_size
  size_t group_size = 100000;     // sample_packing_group_size
  bool sequential = false;        // sample_packing_sequentially: next-fit in `order`, no row limit
};

// Bins of indices into `lengths`, taking rows in `order` (all of them). A row longer than the
// capacity throws Error (rows are filtered before packing). Bins come out in creation order.
std::vector<std::vector<size_t>> pack_rows(const std::vector<int64_t>& lengths, const std::vector<size_t>& order,
                                           const PackingOptions& options);

// Filled tokens / (bins × capacity), in [0, 1]; 0 for no bins.
double packing_efficiency(const std::vector<std::vector<size_t>>& bins, const std::vector<int64_t>& lengths,
                          int64_t capacity);

}  // namespace axolotl::data
