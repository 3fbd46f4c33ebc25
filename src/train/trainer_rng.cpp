// Gathering and writing per-rank generator states (see trainer_rng.h).
#include "axolotl/train/trainer_rng.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <mutex>

#include "axolotl/train/rng_state.h"
#include "axolotl/train/torch_pickle.h"

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

void write_rng_states(const std::string& dir, const std::vector<torch::Tensor>& states, uint64_t seed) {
  if (states.empty()) {
    save_rng_state((fs::path(dir) / "rng_state.pth").string(), seed);
    return;
  }
  for (size_t r = 0; r < states.size(); ++r)
    write_torch_pickle((fs::path(dir) / ("rng_state_" + std::to_string(r) + ".pth")).string(),
                       rng_state_dict(states[r], seed, /*with_cuda=*/false));
}

std::string rank_rng_file(const std::string& dir, int rank, int world_size) {
  const std::string r = std::to_string(rank);
  std::vector<std::string> names;
  if (world_size > 1) names.push_back("rng_state_" + r + ".pth");
  if (rank == 0) names.push_back("rng_state.pth");
  if (rank != 0) names.push_back("rng_state_" + r + ".pt");
  if (rank == 0) names.push_back("rng_state.pt");
  for (const auto& n : names) {
    std::error_code ec;
    if (fs::exists(fs::path(dir) / n, ec)) return (fs::path(dir) / n).string();
  }
  return {};
}

}  // namespace axolotl::train
