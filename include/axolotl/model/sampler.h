// Next-token choice from one row of logits: greedy at temperature 0, else repetition penalty,
// temperature, top-k and top-p (nucleus) filtering and a seeded draw (HF generation logits processors).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace axolotl::model {

struct SamplingOptions {
  double temperature = 0.0;         // 0 = greedy (argmax)
  int top_k = 0;                    // 0 = off
  double top_p = 1.0;               // 1 = off
  double repetition_penalty = 1.0;  // 1 = off; > 1 discourages tokens already in the sequence
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options);
  // logits (V) any dtype/device; `seen` = prompt + generated ids (for the repetition penalty).
  int64_t next(const torch::Tensor& logits, const std::vector<int64_t>& seen);

 private:
  SamplingOptions options_;
  torch::Generator generator_;  // CPU, seeded: the same seed draws the same tokens on any device
};

}  // namespace axolotl::model
