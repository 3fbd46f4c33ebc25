// Sampling (HF RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper,
// TopPLogitsWarper), done on the CPU in float32.
#include "axolotl/model/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <limits>
#include <set>

namespace axolotl::model {

Sampler::Sampler(const SamplingOptions& options)
    : options_(options), generator_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {}

int64_t Sampler::next(const torch::Tensor& row, const std::vector<int64_t>& seen) {
  auto logits = row.to(torch::kCPU, torch::kFloat32).clone();  // (V)
  const int64_t vocab = logits.size(0);
  if (options_.repetition_penalty != 1.0 && !seen.empty()) {
    // score < 0 ? score * penalty : score / penalty, once per distinct seen token
    std::set<int64_t> distinct;
    for (int64_t id : seen) {
      if (id >= 0 && id < vocab) distinct.insert(id);
    }
    auto ids = torch::tensor(std::vector<int64_t>(distinct.begin(), distinct.end()), torch::kInt64);  // (n)
    auto scores = logits.index_select(0, ids);                                   // (n)
    const double p = options_.repetition_penalty;
    scores = torch::where(scores < 0, scores * p, scores / p);
    logits.index_copy_(0, ids, scores);
  }
  if (options_.temperature <= 0.0) return logits.argmax().item<int64_t>();
  logits = logits / options_.temperature;  // (V)
  const float neg_inf = -std::numeric_limits<float>::infinity();
  if (options_.top_k > 0 && options_.top_k < vocab) {
    auto kth = std::get<0>(logits.topk(options_.top_k)).min();  // smallest kept logit
    logits = logits.masked_fill(logits < kth, neg_inf);
  }
  if (options_.top_p < 1.0) {
    // Sort ascending; drop tokens whose cumulative probability is <= 1 - top_p; keep at least one.
    auto [sorted, order] = logits.sort(/*dim=*/0, /*descending=*/false);  // (V), (V)
    auto cumulative = sorted.softmax(0).cumsum(0);                         // (V)
    auto remove = cumulative <= (1.0 - options_.top_p);                    // (V)
    remove.index_put_({vocab - 1}, false);
    auto mask = torch::zeros_like(remove).scatter(0, order, remove);       // back to vocab order
    logits = logits.masked_fill(mask, neg_inf);
  }
  auto probs = logits.softmax(0);  // (V)
  return torch::multinomial(probs, 1, /*replacement=*/false, generator_).item<int64_t>();
}

}  // namespace axolotl::model
