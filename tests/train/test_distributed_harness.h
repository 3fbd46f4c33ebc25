// Test harness for the distributed tests: runs a body in N forked "ranks" with the torchrun
// environment on 127.0.0.1, bounded in time; each rank reports through its exit status and a file.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace axolotl::testing {

struct RankOutcome {
  int rank = 0;
  int status = -1;       // exit status; 0 when the body returned, 1 when it threw, 128+signal when killed
  std::string message;   // what() of the exception the body threw (empty otherwise)
  double seconds = 0;    // from the start of the run until this rank ended
};

// Forks one process per rank in `ranks` (a subset of 0..world_size-1 simulates ranks that never
// come) with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free
// MASTER_PORT set, runs body(rank) there and _exit()s. Processes still running after limit_s are
// killed (status 137). Call before this process runs any tensor op (fork and thread pools).
std::vector<RankOutcome> run_ranks(int world_size, const std::vector<int>& ranks,
                                   const std::function<void(int rank)>& body, double limit_s);

// All ranks 0..world_size-1.
std::vector<RankOutcome> run_ranks(int world_size, const std::function<void(int rank)>& body, double limit_s);

// Throws std::runtime_error(message) unless `ok`: the bodies' assertion (gtest macros do not
// report from a forked child).
void check(bool ok, const std::string& message);

}  // namespace axolotl::testing
