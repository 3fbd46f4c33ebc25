// Per-rank random generator state in data-parallel checkpoints: rank 0 writes rng_state.pt (its own,
// as a single process does) and rng_state_<r>.pt for every other rank r (gathered over the group),
// so each rank's dropout stream resumes exactly. Files are LibTorch archives of one uint8 tensor.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "axolotl/train/distributed_context.h"

namespace axolotl::train {

// Collective (every rank calls it): on rank 0, the default CPU generator state of each rank, by
// rank; empty elsewhere and in a single process.
std::vector<torch::Tensor> gather_rng_states(DistributedContext& context);

// Rank 0, inside the checkpoint writer: rng_state_<r>.pt for r = 1.. of `states`.
void write_rank_rng_states(const std::string& dir, const std::vector<torch::Tensor>& states);

// The file rank `rank` resumes its generator from: rng_state.pt for rank 0, rng_state_<r>.pt else.
std::string rank_rng_file(const std::string& dir, int rank);

}  // namespace axolotl::train
