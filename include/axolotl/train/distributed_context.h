// One data-parallel worker's view of torch.distributed (c10d): rendezvous through a TCPStore served
// by rank 0, a Gloo (CPU) or NCCL (CUDA) process group, and the collectives the trainer needs, each
// bounded by distributed.ddp_timeout_s. A lost peer becomes an axolotl::Error naming the missing
// rank(s) instead of a hang. WORLD_SIZE 1 or unset → a no-op context (no store, no threads).
//
// How the training loop uses it (all ranks make the same calls in the same order):
//   auto dist = DistributedContext::from_env(config.distributed);   // before building the model
//   torch::manual_seed(config.training.seed);      // SAME seed on every rank: identical init, and
//                                                  // broadcast_parameters() below makes it certain
//   model->to(dist->device());                     // kCPU (gloo) or cuda:LOCAL_RANK (nccl)
//   broadcast_parameters(*dist, trainable_params); // distributed_grads.h, once before step 1
//   each rank reads its own shard of every step's micro-batches (rank r takes batches r, r+W, ...),
//   so the global batch is W × micro_batch × accumulation; dropout/sampling RNG may differ per rank
//   (seed + rank) but data order must come from the shared seed.
//   per step: backward() of each micro-batch's SUMMED token loss (no division), then
//     auto sums = dist->all_reduce_sum({local_trained_tokens, local_loss_sum, stop ? 1.0 : 0.0});
//     all_reduce_gradients(*dist, trainable_params);   // Σ over ranks, no averaging
//     divide every grad by sums[0] (global trained tokens); clip; optimizer.step();
//     stop when sums[2] > 0 (a signal seen by any rank), so every rank saves at the same step.
//   write files (checkpoints, metrics, final weights) only when dist->is_main_process(), then
//   dist->barrier("checkpoint") so no rank runs ahead of, or exits before, a save that rank 0 makes.
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
