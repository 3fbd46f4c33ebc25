// KvCache: preallocated key/value storage written in place, grown by doubling.
#include "axolotl/model/kv_cache.h"

namespace axolotl::model {

KvCache::KvCache(int64_t num_layers, int64_t capacity) : k_(num_layers), v_(num_layers), capacity_(capacity) {}

torch::Tensor KvCache::begin_step(const torch::Tensor& segment_ids) {
  step_ = segment_ids.size(1);
  const int64_t needed = length_ + step_;
  if (!segments_.defined() || segments_.size(1) < needed) {
    int64_t cap = segments_.defined() ? segments_.size(1) : capacity_;
    while (cap < needed) cap *= 2;
    auto grown = torch::zeros({segment_ids.size(0), cap}, segment_ids.options().dtype(torch::kInt64));  // (B, cap)
    if (segments_.defined() && length_ > 0) grown.narrow(1, 0, length_).copy_(segments_.narrow(1, 0, length_));
    segments_ = grown;
  }
  segments_.narrow(1, length_, step_).copy_(segment_ids);  // (B, T)
  return segments_.narrow(1, 0, needed);                   // (B, S + T)
}

void KvCache::reserve(int64_t needed, const torch::Tensor& like, int64_t layer) {
  auto& k = k_[layer];
  if (k.defined() && k.size(2) >= needed) return;
  int64_t cap = k.defined() ? k.size(2) : capacity_;
  while (cap < needed) cap *= 2;
  auto nk = torch::empty({like.size(0), like.size(1), cap, like.size(3)}, like.options());  // (B, nkv, cap, hd)
  auto nv = torch::empty_like(nk);                                                          // (B, nkv, cap, hd)
  if (k.defined() && length_ > 0) {
    nk.narrow(2, 0, length_).copy_(k.narrow(2, 0, length_));
    nv.narrow(2, 0, length_).copy_(v_[layer].narrow(2, 0, length_));
  }
  k_[layer] = nk;
  v_[layer] = nv;
}

std::pair<torch::Tensor, torch::Tensor> KvCache::append(int64_t layer, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t t = k.size(2);
  reserve(length_ + t, k, layer);
  k_[layer].narrow(2, length_, t).copy_(k);  // (B, nkv, T, hd)
  v_[layer].narrow(2, length_, t).copy_(v);  // (B, nkv, T, hd)
  return {k_[layer].narrow(2, 0, length_ + t), v_[layer].narrow(2, 0, length_ + t)};  // (B, nkv, S + T, hd)
}

void KvCache::end_step() {
  length_ += step_;
  step_ = 0;
}

void KvCache::clear() {
  length_ = 0;
  step_ = 0;
}

}  // namespace axolotl::model
