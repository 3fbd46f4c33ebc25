// rng_state.pth as HF Trainer writes it (Trainer._save_rng_state): a torch.save dict with 'python'
// (random.getstate()), 'numpy' (np.random.get_state()), 'cpu' (torch.get_rng_state()) and, on a CUDA
// machine, 'cuda'. This tool draws only from torch's generators; 'python' and 'numpy' hold the states
// that Trainer's set_seed(seed) leaves (random.seed / np.random.seed), computed here, so the file is one
// Trainer's _load_rng_state accepts. Older checkpoints' LibTorch archives (one uint8 tensor) still load.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace axolotl::train {

// random.seed(seed); random.getstate()[1]: the 624 MT19937 words and the index (624).
std::vector<int64_t> python_random_state(uint64_t seed);
// np.random.seed(seed & 0xffffffff): the 624 MT19937 key words (position 624, no cached gaussian).
std::vector<int64_t> numpy_random_key(uint64_t seed);

// The Trainer dict for a CPU generator state `cpu` ((5056,) uint8); `with_cuda` adds the default CUDA
// generator's state (of device 0, as Trainer's single-process torch.cuda.get_rng_state()).
torch::IValue rng_state_dict(const torch::Tensor& cpu, uint64_t seed, bool with_cuda);

// This process's generators (CPU, and CUDA when available) into `path` as that dict.
void save_rng_state(const std::string& path, uint64_t seed);

// Restores the CPU generator (and CUDA's, when the file and the machine have one) from the dict or from
// an older LibTorch archive; IoError naming the file otherwise.
void load_rng_state(const std::string& path);

}  // namespace axolotl::train
