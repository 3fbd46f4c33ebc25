// One data-parallel worker's view of torch.distributed (c10d): rendezvous through a TCPStore served
// by rank 0, a Gloo (CPU) or NCCL (CUDA) process group, and the collectives the trainer needs, each
// bounded by distributed.ddp_timeout_s. A lost peer becomes an axolotl::Error naming the missing
// rank(s) instead of a hang. WORLD_SIZE 1 or unset → a no-op context (no store, no threads).
//
// How the training loop uses it (every rank makes the same calls in the same order; W = world_size):
//   1. auto dist = DistributedContext::from_env(config.distributed);  // first, before loading data
//   2. torch::manual_seed(config.training.seed) on EVERY rank (the same seed: identical init and data
//      order); RNG that should differ per rank (dropout) may use seed + dist->rank() afterwards.
//   3. build the model; model->to(dist->device())  (kCPU with Gloo, cuda:LOCAL_RANK with NCCL);
//      broadcast_parameters(*dist, all model parameters)  (distributed_grads.h), once, before step 1.
//   4. data: every rank builds the same global micro-batches of W × micro_batch_size rows (packed
//      bins when packing) and rank r trains rows [r·micro, (r+1)·micro) of each (train/trainer_shard.h),
//      so one step reads exactly what a single process with W × micro would, packing included, and
//      every rank runs the same number of steps. The global batch is W × micro × accumulation.
//   5. per optimizer step: for each local micro-batch, backward() of its SUMMED token loss (no
//      division); then, in this order:
//        auto sums = dist->all_reduce_sum({local_trained_tokens, local_loss_sum, stop.requested() ? 1.0 : 0.0});
//        all_reduce_gradients(*dist, trainable_params);         // Σ over ranks, no averaging
//        every grad /= sums[0] (global trained tokens); clip_grad_norm; optimizer.step();
//        the step's loss is sums[1] / sums[0]; stop when sums[2] > 0 (a signal seen by ANY rank), so
//        every rank leaves at the same step.
//      Evaluation likewise: each rank takes its shard, then all_reduce_sum({tokens, loss_sum}).
//   6. only dist->is_main_process() writes files or shows progress (checkpoints, metrics.jsonl,
//      final weights); after each save all ranks call dist->barrier("checkpoint"), so no rank exits or
//      resumes ahead of rank 0's files. On resume every rank loads the same checkpoint.
//   Errors are axolotl::Error (exit 1) naming the missing rank(s); single-process runs cost nothing.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/train/distributed_env.h"

namespace axolotl::train {

enum class CommBackend { kNone, kGloo, kNccl };
const char* backend_name(CommBackend backend);

class DistributedContext {
 public:
  // read_distributed_env() + the constructor. Throws UsageError on a bad environment, Error when
  // the rendezvous fails or times out (naming the ranks that never came).
  static std::unique_ptr<DistributedContext> from_env(const config::DistributedConfig& config);

  // Joins the group `env` describes (returns at once when env.world_size == 1): rank 0 listens on
  // MASTER_PORT, every rank checks in, and all wait up to ddp_timeout_s for the others.
  DistributedContext(const DistributedEnv& env, const config::DistributedConfig& config);
  ~DistributedContext();
  DistributedContext(const DistributedContext&) = delete;
  DistributedContext& operator=(const DistributedContext&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  int local_world_size() const { return env_.local_world_size; }
  bool distributed() const { return env_.world_size > 1; }
  // Rank 0: the one process that writes files and logs progress.
  bool is_main_process() const { return env_.rank == 0; }
  CommBackend backend() const { return backend_; }
  // Where tensors handed to collectives must live: kCPU for Gloo, cuda:LOCAL_RANK for NCCL.
  torch::Device device() const { return device_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Blocks until every rank arrives; `what` names the point in error messages.
  void barrier(const std::string& what = "barrier");
  // Σ over ranks, in one collective (float64).
  double all_reduce_sum(double value);
  std::vector<double> all_reduce_sum(const std::vector<double>& values);
  // In place: `tensor` (contiguous, on device()) becomes the element-wise Σ over ranks.
  void all_reduce_sum(torch::Tensor& tensor, const std::string& what = "all_reduce");
  // In place: every tensor (contiguous, on device()) takes root's values.
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0, const std::string& what = "broadcast");

 private:
  struct Impl;
  DistributedEnv env_;
  CommBackend backend_ = CommBackend::kNone;
  torch::Device device_ = torch::kCPU;
  std::chrono::milliseconds timeout_{0};
  std::unique_ptr<Impl> impl_;
};

}  // namespace axolotl::train
