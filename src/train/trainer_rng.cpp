// Gathering and writing per-rank generator states (see trainer_rng.h).
#include "axolotl/train/trainer_rng.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <mutex>
#include <sstream>

#include "axolotl/io/atomic_file.h"

namespace axolotl::train {
namespace fs = std::filesystem;

std::vector<torch::Tensor> gather_rng_states(DistributedContext& context) {
  if (!context.distributed()) return {};
  torch::Tensor state;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();  // (n,) uint8; n is the same on every rank (mt19937 state + normal cache)
  }
  // (W, n) int32, row r filled by rank r; the Σ over ranks is then every rank's state (an all-gather).
  torch::Tensor all = torch::zeros({context.world_size(), state.numel()}, torch::kInt32);
  all[context.rank()].copy_(state.to(torch::kInt32));
  all = all.to(context.device());
  context.all_reduce_sum(all, "random generator states");
  if (!context.is_main_process()) return {};
  all = all.cpu().to(torch::kUInt8);
  std::vector<torch::Tensor> out;
  for (int r = 0; r < context.world_size(); ++r) out.push_back(all[r].clone());
  return out;
}

void write_rank_rng_states(const std::string& dir, const std::vector<torch::Tensor>& states) {
  for (size_t r = 1; r < states.size(); ++r) {
    const std::string path = rank_rng_file(dir, static_cast<int>(r));
    std::ostringstream bytes;
    torch::save(std::vector<torch::Tensor>{states[r]}, bytes);
    io::write_file_atomic(path, bytes.str());
  }
}

std::string rank_rng_file(const std::string& dir, int rank) {
  return (fs::path(dir) / (rank == 0 ? std::string("rng_state.pt") : "rng_state_" + std::to_string(rank) + ".pt"))
      .string();
}

}  // namespace axolotl::train
