// The data-parallel property the trainer relies on: 2 ranks × micro-batch 2, gradients summed over
// ranks and divided by the global trained-token count, train the same weights as 1 rank ×
// micro-batch 4 (fp32, AdamW, 1e-5). A toy linear "LM" with a token-weighted cross-entropy.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <iostream>

#include "axolotl/train/distributed_context.h"
#include "axolotl/train/distributed_grads.h"
#include "test_distributed_harness.h"

namespace axolotl::train {
namespace {

using testing::check;

constexpr int64_t kFeatures = 8, kVocab = 5, kSeq = 6, kGlobalBatch = 4, kSteps = 4;

struct Batch {
  torch::Tensor x;       // (B, T, kFeatures)
  torch::Tensor target;  // (B, T) int64
  torch::Tensor mask;    // (B, T) float, 1 = trained token
};

// Step `step`'s global batch: sequences of different trained lengths, so that a per-rank mean
// (DDP's default averaging) would NOT match the global token-weighted mean.
Batch global_batch(int step) {
  torch::manual_seed(1000 + step);
  Batch b;
  b.x = torch::randn({kGlobalBatch, kSeq, kFeatures});
  b.target = torch::randint(kVocab, {kGlobalBatch, kSeq}, torch::kInt64);
  auto lengths = torch::tensor({6, 1, 4, 2}).roll(step);  // trained tokens per sequence
  b.mask = (torch::arange(kSeq).unsqueeze(0) < lengths.unsqueeze(1)).to(torch::kFloat32);
  return b;
}

Batch slice(const Batch& b, int64_t start, int64_t len) {
  return Batch{b.x.narrow(0, start, len), b.target.narrow(0, start, len), b.mask.narrow(0, start, len)};
}

// Σ over trained tokens of cross-entropy (not divided).
torch::Tensor summed_loss(torch::nn::Linear& model, const Batch& b) {
  auto logits = model->forward(b.x);  // (B, T, kVocab)
  auto ce = torch::nn::functional::cross_entropy(
      logits.reshape({-1, kVocab}), b.target.reshape(-1),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));  // (B*T,)
  return (ce * b.mask.reshape(-1)).sum();
}

torch::nn::Linear make_model(uint64_t seed) {
  torch::manual_seed(seed);
  return torch::nn::Linear(kFeatures, kVocab);
}

torch::optim::AdamW make_optimizer(torch::nn::Linear& model) {
  return torch::optim::AdamW(model->parameters(), torch::optim::AdamWOptions(0.05).weight_decay(0.1));
}

// The reference: one process, the whole batch of 4 per step.
std::vector<torch::Tensor> train_single() {
  auto model = make_model(7);
  auto optimizer = make_optimizer(model);
  for (int step = 0; step < kSteps; ++step) {
    auto b = global_batch(step);
    optimizer.zero_grad();
    (summed_loss(model, b) / b.mask.sum()).backward();
    optimizer.step();
  }
  return model->parameters();
}

// Rank `rank` of 2 takes sequences [2·rank, 2·rank + 2) of each step, as the trainer's shard.
std::vector<torch::Tensor> train_rank(DistributedContext& dist, int rank) {
  auto model = make_model(7 + rank);  // deliberately different: broadcast must fix it
  broadcast_parameters(dist, model->parameters());
  auto optimizer = make_optimizer(model);
  for (int step = 0; step < kSteps; ++step) {
    auto b = slice(global_batch(step), 2 * rank, 2);
    optimizer.zero_grad();
    auto loss_sum = summed_loss(model, b);
    loss_sum.backward();
    auto sums = dist.all_reduce_sum(std::vector<double>{b.mask.sum().item<double>(), loss_sum.item<double>()});
    all_reduce_gradients(dist, model->parameters());
    for (auto& p : model->parameters()) p.mutable_grad().div_(sums[0]);
    optimizer.step();
  }
  return model->parameters();
}

TEST(DistributedTraining, TwoRanksOfTwoEqualOneRankOfFour) {
  auto outcomes = testing::run_ranks(2, [](int rank) {
    config::DistributedConfig config;
    config.ddp_timeout_s = 30;
    auto dist = DistributedContext::from_env(config);
    auto got = train_rank(*dist, rank);
    auto expected = train_single();
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      worst = std::max(worst, (got[i] - expected[i]).abs().max().item<double>());
    }
    std::cerr << "rank " << rank << ": max |w_ddp - w_single| = " << worst << "\n";
    check(worst <= 1e-5, "max |w_ddp - w_single| = " + std::to_string(worst));
    // The property is not trivial: the weights moved, and per-rank means would differ.
    auto start = make_model(7)->parameters();
    check((expected[0] - start[0]).abs().max().item<double>() > 1e-2, "weights did not move");
  }, 60);
  for (const auto& o : outcomes) EXPECT_EQ(o.status, 0) << "rank " << o.rank << ": " << o.message;
}

TEST(DistributedTraining, PerRankMeanAveragingWouldDiffer) {
  // Guards the test above: with these uneven lengths, averaging per-rank token means (DDP's
  // default) gives a different gradient than the global token-weighted mean.
  auto model = make_model(7);
  auto b = global_batch(0);
  model->zero_grad();
  (summed_loss(model, b) / b.mask.sum()).backward();
  auto global = model->weight.grad().clone();
  model->zero_grad();
  for (int r = 0; r < 2; ++r) {
    auto s = slice(b, 2 * r, 2);
    (summed_loss(model, s) / s.mask.sum() / 2).backward();
  }
  EXPECT_GT((model->weight.grad() - global).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace axolotl::train
