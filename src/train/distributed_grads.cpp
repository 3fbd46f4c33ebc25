// Bucketed gradient all-reduce and parameter broadcast (see distributed_grads.h).
#include "axolotl/train/distributed_grads.h"

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

int64_t numel_of(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& bucket) {
  int64_t n = 0;
  for (size_t i : bucket) n += tensors[i].numel();
  return n;
}

}  // namespace

std::vector<std::vector<size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    bool fits = !buckets.empty() && bytes + size <= bucket_bytes;
    if (fits) {
      const auto& first = tensors[buckets.back().front()];
      fits = first.scalar_type() == t.scalar_type() && first.device() == t.device();
    }
    if (!fits) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += size;
  }
  return buckets;
}

GradSyncStats all_reduce_gradients(DistributedContext& context, const std::vector<torch::Tensor>& params,
                                   int64_t bucket_bytes) {
  GradSyncStats stats;
  if (!context.distributed()) return stats;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> trainable;
  for (const auto& p : params) {
    if (!p.requires_grad()) continue;
    if (p.grad().defined() && p.grad().is_sparse()) throw Error("all_reduce_gradients: sparse gradients are not supported");
    trainable.push_back(p);
  }
  for (const auto& bucket : plan_buckets(trainable, bucket_bytes)) {
    const int64_t total = numel_of(trainable, bucket);
    const auto n = static_cast<int64_t>(bucket.size());
    const auto& first = trainable[bucket.front()];
    // (total + n,): the gradients one after another, then one "has a grad" flag per parameter, so
    // that the ranks agree on which parameters got a gradient at all.
    auto flat = torch::empty({total + n}, first.options().requires_grad(false));
    auto flags = flat.narrow(0, total, n);
    int64_t offset = 0;
    for (int64_t j = 0; j < n; ++j) {
      const auto& p = trainable[bucket[j]];
      auto slot = flat.narrow(0, offset, p.numel());
      const bool has = p.grad().defined();
      if (has) {
        slot.copy_(p.grad().reshape(-1));
      } else {
        slot.zero_();
      }
      flags[j].fill_(has ? 1 : 0);
      offset += p.numel();
    }
    context.all_reduce_sum(flat, "all_reduce(gradients)");
    auto got = flags.to(torch::kCPU, torch::kFloat32);
    offset = 0;
    for (int64_t j = 0; j < n; ++j) {
      auto p = trainable[bucket[j]];
      auto summed = flat.narrow(0, offset, p.numel()).view(p.sizes());
      offset += p.numel();
      if (got[j].item<float>() <= 0) continue;  // no rank had a gradient: keep it undefined
      if (p.grad().defined()) {
        p.mutable_grad().copy_(summed);
      } else {
        p.mutable_grad() = summed.clone();
      }
    }
    ++stats.buckets;
    stats.elements += total;
  }
  return stats;
}

void broadcast_parameters(DistributedContext& context, const std::vector<torch::Tensor>& params, int root,
                          int64_t bucket_bytes) {
  if (!context.distributed()) return;
  torch::NoGradGuard no_grad;
  for (const auto& bucket : plan_buckets(params, bucket_bytes)) {
    const auto& first = params[bucket.front()];
    // (total,): the parameters one after another.
    auto flat = torch::empty({numel_of(params, bucket)}, first.options().requires_grad(false));
    int64_t offset = 0;
    for (size_t i : bucket) {
      flat.narrow(0, offset, params[i].numel()).copy_(params[i].detach().reshape(-1));
      offset += params[i].numel();
    }
    std::vector<torch::Tensor> one{flat};
    context.broadcast(one, root, "broadcast(parameters)");
    offset = 0;
    for (size_t i : bucket) {
      auto p = params[i];
      p.detach().copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
      offset += p.numel();
    }
  }
}

}  // namespace axolotl::train
