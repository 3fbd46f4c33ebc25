// The torchrun-compatible environment of one data-parallel worker: RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. Parsing only (no sockets, no LibTorch); every problem
// is a UsageError naming the variable with what was found and what was expected.
#pragma once

#include <functional>
#include <string>

namespace axolotl::train {

struct DistributedEnv {
  int rank = 0;
  int world_size = 1;        // 1: a single process, no rendezvous
  int local_rank = 0;        // index among the workers of this machine (the GPU to use)
  int local_world_size = 1;  // workers on this machine
  std::string master_addr;   // host of rank 0, which serves the rendezvous store
  int master_port = 0;       // its TCP port

  bool distributed() const { return world_size > 1; }
};

// Looks a variable up; returns nullptr when unset (std::getenv's contract).
using EnvLookup = std::function<const char*(const char*)>;

// WORLD_SIZE unset or 1 → the single-process env (RANK, when set, must then be 0). WORLD_SIZE > 1
// requires RANK in [0, WORLD_SIZE), MASTER_ADDR non-empty and MASTER_PORT in [1, 65535]. LOCAL_RANK
// and LOCAL_WORLD_SIZE default to RANK and WORLD_SIZE (one machine) and must satisfy
// 0 <= LOCAL_RANK < LOCAL_WORLD_SIZE <= WORLD_SIZE. Throws UsageError on the first problem.
DistributedEnv parse_distributed_env(const EnvLookup& lookup);

// parse_distributed_env over the process environment (std::getenv).
DistributedEnv read_distributed_env();

}  // namespace axolotl::train
