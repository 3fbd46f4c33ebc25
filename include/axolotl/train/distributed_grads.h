// Data-parallel gradient and parameter synchronisation over a DistributedContext: gradients are
// flattened into ~25 MB buckets (one all-reduce each, as torch DDP's default bucket_cap_mb=25) and
// SUMMED over ranks (the trainer divides by the global trained-token count; nothing is averaged).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "axolotl/train/distributed_context.h"

namespace axolotl::train {

constexpr int64_t kDefaultBucketBytes = 25LL * 1024 * 1024;

// Splits `tensors` into buckets of consecutive tensors of one dtype and device, each at most
// `bucket_bytes` unless a single tensor is larger (it then has a bucket of its own). Returns the
// indices of each bucket, in order.
std::vector<std::vector<size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes);

struct GradSyncStats {
  int64_t buckets = 0;   // all-reduces issued
  int64_t elements = 0;  // gradient elements summed
};

// Every parameter with requires_grad gets the Σ over ranks of its .grad(). A parameter whose grad is
// undefined on a rank counts as zeros there; it stays undefined only when it is undefined on every
// rank (AdamW then skips it, as in a single process). Frozen parameters are skipped; every rank must
// pass the same list. A no-op (returning zeros) in a single-process context.
GradSyncStats all_reduce_gradients(DistributedContext& context, const std::vector<torch::Tensor>& params,
                                   int64_t bucket_bytes = kDefaultBucketBytes);

// Copies rank `root`'s values of `params` (all of them, frozen ones included) to every rank, in
// buckets. Call once after building the model and before the first step.
void broadcast_parameters(DistributedContext& context, const std::vector<torch::Tensor>& params, int root = 0,
                          int64_t bucket_bytes = kDefaultBucketBytes);

}  // namespace axolotl::train
