// Per-rank random generator state in checkpoints, named as HF Trainer names them: rng_state.pth in a
// single process, rng_state_<r>.pth for every rank r of a data-parallel run (gathered over the group
// and written by rank 0), so each rank's dropout stream resumes exactly. Files are Trainer's dict
// (rng_state.h); the .pt names of older checkpoints are still read.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "axolotl/train/distributed_context.h"

namespace axolotl::train {

// Collective (every rank calls it): on rank 0, the default CPU generator state of each rank, by
// rank; empty elsewhere and in a single process.
std::vector<torch::Tensor> gather_rng_states(DistributedContext& context);

// Rank 0, inside the checkpoint writer: rng_state.pth with this process's generators when `states` is
// empty (a single process), else rng_state_<r>.pth for each r of `states` (CPU state only).
void write_rng_states(const std::string& dir, const std::vector<torch::Tensor>& states, uint64_t seed);

// The file rank `rank` of `world_size` resumes its generator from: the first that exists of
// rng_state_<r>.pth (data parallel), rng_state.pth (rank 0), rng_state_<r>.pt / rng_state.pt (older
// checkpoints); empty when there is none.
std::string rank_rng_file(const std::string& dir, int rank, int world_size);

}  // namespace axolotl::train
