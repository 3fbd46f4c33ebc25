// First-fit decreasing bin packing, or next-fit in the given order (sequential). A segment tree over bin slots holds each slot's free space
// (fresh slots: the full capacity), so "leftmost bin with room" is one O(log n) descent.
#include "axolotl/data/packing.h"

#include <algorithm>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

class FreeSpaceTree {
 public:
  FreeSpaceTree(size_t slots, int64_t capacity) : n_(1) {
    while (n_ < slots) n_ <<= 1;
    tree_.assign(2 * n_, capacity);
  }
  // Leftmost slot with free space >= need (the tree always has a fresh slot, sized for the group).
  size_t find(int64_t need) const {
    size_t i = 1;
    while (i < n_) i = tree_[2 * i] >= need ? 2 * i : 2 * i + 1;
    return i - n_;
  }
  void set(size_t slot, int64_t free) {
    size_t i = slot + n_;
    tree_[i] = free;
    for (i >>= 1; i >= 1; i >>= 1) tree_[i] = std::max(tree_[2 * i], tree_[2 * i + 1]);
  }
  int64_t get(size_t slot) const { return tree_[slot + n_]; }

 private:
  size_t n_;
  std::vector<int64_t> tree_;
};

}  // namespace

namespace {

void check_fits(int64_t len, int64_t capacity) {
  if (len > capacity || len <= 0) {
    throw Error("packing: row of " + std::to_string(len) + " tokens does not fit bins of " + std::to_string(capacity));
  }
}

// Axolotl's allocate_sequentially (sample_packing_sequentially): rows in `order`, a new bin whenever
// the next row does not fit the current one; no limit on rows per bin.
std::vector<std::vector<size_t>> pack_in_order(const std::vector<int64_t>& lengths, const std::vector<size_t>& order,
                                               int64_t capacity) {
  std::vector<std::vector<size_t>> bins;
  int64_t room = 0;
  for (size_t idx : order) {
    const int64_t len = lengths[idx];
    check_fits(len, capacity);
    if (bins.empty() || len > room) {
      bins.emplace_back();
      room = capacity;
    }
    bins.back().push_back(idx);
    room -= len;
  }
  return bins;
}

}  // namespace

std::vector<std::vector<size_t>> pack_rows(const std::vector<int64_t>& lengths, const std::vector<size_t>& order,
                                           const PackingOptions& options) {
  if (options.sequential) return pack_in_order(lengths, order, options.capacity);
  std::vector<std::vector<size_t>> bins;
  size_t group = std::max<size_t>(1, options.group_size);
  for (size_t g = 0; g < order.size(); g += group) {
    std::vector<size_t> items(order.begin() + static_cast<long>(g),
                              order.begin() + static_cast<long>(std::min(order.size(), g + group)));
    std::stable_sort(items.begin(), items.end(), [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
    FreeSpaceTree tree(items.size() + 1, options.capacity);
    std::vector<std::vector<size_t>> group_bins;
    for (size_t idx : items) {
      int64_t len = lengths[idx];
      check_fits(len, options.capacity);
      size_t slot = tree.find(len);
      if (slot == group_bins.size()) group_bins.emplace_back();
      group_bins[slot].push_back(idx);
      int64_t free = tree.get(slot) - len;
      bool full = static_cast<int>(group_bins[slot].size()) >= options.max_per_bin;
      tree.set(slot, full ? -1 : free);
    }
    for (auto& b : group_bins) bins.push_back(std::move(b));
  }
  return bins;
}

double packing_efficiency(const std::vector<std::vector<size_t>>& bins, const std::vector<int64_t>& lengths,
                          int64_t capacity) {
  if (bins.empty() || capacity <= 0) return 0.0;
  int64_t used = 0;
  for (const auto& b : bins) {
    for (size_t i : b) used += lengths[i];
  }
  return static_cast<double>(used) / (static_cast<double>(bins.size()) * static_cast<double>(capacity));
}

}  // namespace axolotl::data
