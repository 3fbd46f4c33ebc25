// Precomputed reference log-probs (see reference_cache.h).
#include "axolotl/train/reference_cache.h"

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

// Two FNV-1a lanes over (token, label) of each non-padding position of every row: (N) keys.
std::vector<std::pair<uint64_t, uint64_t>> row_keys(const BatchTensors& b) {
  const auto ids = b.input_ids.to(torch::kCPU).contiguous(), labels = b.labels.to(torch::kCPU).contiguous();
  const auto seg = b.segment_ids.to(torch::kCPU).contiguous();
  const int64_t n = ids.size(0), t = ids.size(1);
  const int64_t* pi = ids.data_ptr<int64_t>();
  const int64_t* pl = labels.data_ptr<int64_t>();
  const int64_t* ps = seg.data_ptr<int64_t>();
  std::vector<std::pair<uint64_t, uint64_t>> keys(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    uint64_t a = 0xcbf29ce484222325ull, c = 0x84222325cbf29ce4ull;
    for (int64_t k = 0; k < t; ++k) {
      const int64_t x = r * t + k;
      if (ps[x] == 0) continue;
      for (uint64_t v : {static_cast<uint64_t>(pi[x]), static_cast<uint64_t>(pl[x] + 1000), static_cast<uint64_t>(k)}) {
        a = (a ^ v) * 0x100000001b3ull;
        c = (c ^ (v + 0x9e37)) * 0x100000001b3ull;
      }
    }
    keys[static_cast<size_t>(r)] = {a, c};
  }
  return keys;
}

}  // namespace

void ReferenceCache::store(const BatchTensors& b, const torch::Tensor& logps) {
  const auto keys = row_keys(b);
  const auto v = logps.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  for (size_t r = 0; r < keys.size(); ++r) map_[keys[r]] = v.data_ptr<float>()[r];
}

torch::Tensor ReferenceCache::find(const BatchTensors& b) const {
  const auto keys = row_keys(b);
  std::vector<float> out(keys.size());
  for (size_t r = 0; r < keys.size(); ++r) {
    const auto it = map_.find(keys[r]);
    if (it == map_.end()) {
      Diagnostic d;
      d.key = "precompute_ref_log_probs";
      d.message = "a training sequence has no precomputed reference log-prob";
      d.found = "row " + std::to_string(r) + " of a batch, " + std::to_string(map_.size()) + " sequences precomputed";
      d.expected = "every sequence of the train and eval splits computed before training";
      throw Error(d);
    }
    out[r] = it->second;
  }
  return torch::tensor(out).to(b.input_ids.device());
}

}  // namespace axolotl::train
