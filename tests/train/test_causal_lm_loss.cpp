// The training objective on an in-memory tiny LLaMA: the summed loss equals a direct cross-entropy,
// gradient checkpointing gives the same loss and gradients (dropout included: the RNG is rewound),
// and summing over micro-batches divided by the step's token count equals the loss of one batch.
#include <gtest/gtest.h>

#include <chrono>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/model/tiny_model.h"
#include "axolotl/train/causal_lm_loss.h"
#include "axolotl/train/schedule.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

model::LlamaForCausalLM tiny(uint64_t seed) {
  model::LlamaForCausalLM m(model::tiny_llama_config(64), torch::TensorOptions().dtype(torch::kFloat32));
  model::init_weights(*m, seed);
  return m;
}

data::Batch make_batch(int64_t rows, int64_t t, int64_t offset) {
  data::Batch b;
  b.rows = rows, b.seq_len = t;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < t; ++i) {
      const int32_t tok = static_cast<int32_t>((r * 7 + i * 3 + offset) % 61 + 3);
      b.input_ids.push_back(tok);
      b.labels.push_back(i == 0 || i % 5 == 1 ? -100 : tok);
      b.position_ids.push_back(static_cast<int32_t>(i));
      b.segment_ids.push_back(1);
      b.trained_tokens += (i == 0 || i % 5 == 1) ? 0 : 1;
    }
  }
  b.tokens = rows * t;
  return b;
}

TEST(CausalLmLoss, SumMatchesDirectCrossEntropy) {
  auto m = tiny(1);
  CausalLmLoss loss(*m, false);
  const auto b = to_tensors(make_batch(2, 12, 0), torch::kCPU);
  const torch::Tensor logits = m->forward(b.input_ids);  // (B, T, V)
  double expected = 0.0;
  auto lp = torch::log_softmax(logits, -1);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t i = 1; i < 12; ++i) {
      const int64_t y = b.labels[r][i].item<int64_t>();
      if (y != -100) expected -= lp[r][i - 1][y].item<double>();
    }
  EXPECT_NEAR(loss.sum(b).item<double>(), expected, 1e-4);
}

TEST(CausalLmLoss, CheckpointingKeepsLossAndGradients) {
  for (double dropout : {0.0, 0.2}) {
    std::vector<torch::Tensor> grads[2];
    double losses[2];
    for (int ck = 0; ck < 2; ++ck) {
      auto m = tiny(2);
      config::LoraConfig lora;
      lora.type = config::AdapterType::kLora;
      lora.rank = 4;
      lora.dropout = dropout;
      lora.target_linear = true;
      torch::manual_seed(7);
      adapters::setup_adapters(*m, lora, {}, "tiny");
      m->train();
      CausalLmLoss loss(*m, ck == 1);
      torch::manual_seed(11);  // same dropout masks in both runs
      auto l = loss.sum(to_tensors(make_batch(2, 16, 1), torch::kCPU));
      l.backward();
      losses[ck] = l.item<double>();
      for (const auto& p : m->parameters())
        if (p.requires_grad()) grads[ck].push_back(p.grad().clone());
    }
    EXPECT_NEAR(losses[0], losses[1], 1e-5) << "dropout " << dropout;
    ASSERT_EQ(grads[0].size(), grads[1].size());
    ASSERT_FALSE(grads[0].empty());
    for (size_t i = 0; i < grads[0].size(); ++i)
      EXPECT_TRUE(torch::allclose(grads[0][i], grads[1][i], 1e-5, 1e-6)) << "dropout " << dropout << " param " << i;
  }
}

TEST(CausalLmLoss, MicroBatchSplitDoesNotChangeTheStepLoss) {
  auto m = tiny(3);
  CausalLmLoss loss(*m, false);
  const data::Batch whole = make_batch(4, 10, 2);
  const double one = loss.sum(to_tensors(whole, torch::kCPU)).item<double>() / whole.trained_tokens;
  double split = 0.0;
  for (int64_t r = 0; r < 4; ++r) {
    data::Batch part;
    part.rows = 1, part.seq_len = 10;
    auto slice = [&](const std::vector<int32_t>& v) {
      return std::vector<int32_t>(v.begin() + r * 10, v.begin() + (r + 1) * 10);
    };
    part.input_ids = slice(whole.input_ids), part.labels = slice(whole.labels);
    part.position_ids = slice(whole.position_ids), part.segment_ids = slice(whole.segment_ids);
    split += loss.sum(to_tensors(part, torch::kCPU)).item<double>() / whole.trained_tokens;
  }
  EXPECT_NEAR(one, split, 1e-5);
}

TEST(Schedule, StepsEvalsSavesAndEpochs) {
  config::TrainingConfig t;
  t.num_epochs = 2;
  t.warmup_ratio = 0.1;
  config::EvalConfig e;
  e.evals_per_epoch = 2;
  config::CheckpointConfig ck;
  config::LoggingConfig lg;
  lg.logging_steps = 5;
  Schedule s = make_schedule(t, e, ck, lg, {10, 9}, true);
  EXPECT_EQ(s.total_steps, 19);
  EXPECT_EQ(s.warmup_steps, 2);  // ceil(1.9)
  EXPECT_EQ(s.eval_every, 5);
  EXPECT_TRUE(s.saves_at(10));   // no save_steps: epoch ends
  EXPECT_TRUE(s.saves_at(19));
  EXPECT_FALSE(s.saves_at(5));
  EXPECT_DOUBLE_EQ(s.epoch_at(5), 0.5);
  EXPECT_DOUBLE_EQ(s.epoch_at(10), 1.0);
  EXPECT_NEAR(s.epoch_at(13), 1.0 + 3.0 / 9.0, 1e-12);
  EXPECT_FALSE(make_schedule(t, e, ck, lg, {10}, false).eval_every);  // no validation rows
  t.max_steps = 25;
  s = make_schedule(t, e, ck, lg, {10, 10, 10}, true);
  EXPECT_EQ(s.total_steps, 25);
  EXPECT_EQ(s.epoch_end_steps.size(), 3u);
  EXPECT_THROW(make_schedule(t, e, ck, lg, {0}, true), ConfigError);
}

TEST(Schedule, SaveStrategy) {
  config::TrainingConfig t;
  t.num_epochs = 2;
  config::EvalConfig e;
  config::CheckpointConfig ck;
  config::LoggingConfig lg;
  ck.save_steps = 4;
  Schedule s = make_schedule(t, e, ck, lg, {10, 10}, false);  // steps (default): every save_steps
  EXPECT_TRUE(s.saves_at(4));
  EXPECT_FALSE(s.saves_at(10));
  ck.save_strategy = config::SaveStrategy::kEpoch;            // epoch: epoch ends, save_steps aside
  s = make_schedule(t, e, ck, lg, {10, 10}, false);
  EXPECT_FALSE(s.saves_at(4));
  EXPECT_TRUE(s.saves_at(10));
  EXPECT_TRUE(s.saves_at(20));
  ck.save_strategy = config::SaveStrategy::kNo;               // no: never
  s = make_schedule(t, e, ck, lg, {10, 10}, false);
  for (int64_t step : {4, 8, 10, 20}) EXPECT_FALSE(s.saves_at(step)) << step;
}

// eval_strategy as Axolotl's builder and HF resolve it: eval_steps / evals_per_epoch give steps;
// `epoch` evaluates at epoch ends (and at a max_steps stop); `steps` alone follows logging_steps; `no`
// and a run without eval data never evaluate.
TEST(Schedule, EvalStrategy) {
  config::TrainingConfig t;
  t.num_epochs = 2;
  config::EvalConfig e;
  config::CheckpointConfig ck;
  config::LoggingConfig lg;
  lg.logging_steps = 3;
  auto evals = [&](const Schedule& s) {
    std::vector<int64_t> at;
    for (int64_t step = 1; step <= s.total_steps; ++step) if (s.evaluates_at(step)) at.push_back(step);
    return at;
  };
  EXPECT_TRUE(evals(make_schedule(t, e, ck, lg, {10, 10}, true)).empty());  // unset, no eval_steps: never
  e.strategy = config::EvalStrategy::kEpoch;
  EXPECT_EQ(evals(make_schedule(t, e, ck, lg, {10, 10}, true)), (std::vector<int64_t>{10, 20}));
  EXPECT_TRUE(evals(make_schedule(t, e, ck, lg, {10, 10}, false)).empty());  // no eval data
  t.max_steps = 15;
  EXPECT_EQ(evals(make_schedule(t, e, ck, lg, {10, 10}, true)), (std::vector<int64_t>{10, 15}));
  t.max_steps = 0;
  e.strategy = config::EvalStrategy::kSteps;  // no eval_steps: HF's eval_steps = logging_steps
  EXPECT_EQ(evals(make_schedule(t, e, ck, lg, {5, 5}, true)), (std::vector<int64_t>{3, 6, 9}));
  e.eval_steps = 4;
  EXPECT_EQ(evals(make_schedule(t, e, ck, lg, {5, 5}, true)), (std::vector<int64_t>{4, 8}));
  e.strategy = config::EvalStrategy::kAuto;  // unset with eval_steps: steps
  EXPECT_EQ(evals(make_schedule(t, e, ck, lg, {5, 5}, true)), (std::vector<int64_t>{4, 8}));
  e.strategy = config::EvalStrategy::kNo;
  EXPECT_TRUE(evals(make_schedule(t, e, ck, lg, {5, 5}, true)).empty());
}

}  // namespace
}  // namespace axolotl::train

namespace axolotl::train {
namespace {

// Three samples of different lengths; labels -100 on each sample's first token (data/batch_loader.h).
std::vector<std::vector<int32_t>> samples() { return {{5, 9, 14, 3, 22, 7}, {11, 4, 30, 8}, {6, 17, 25, 12, 9, 40, 33}}; }

TEST(CausalLmLoss, PackedBatchEqualsTheSameRowsUnpacked) {
  auto m = tiny(4);
  CausalLmLoss loss(*m, false);
  const auto rows = samples();
  // Unpacked: one sample per row, right-padded (pad label -100, segment 0).
  data::Batch unpacked;
  unpacked.rows = static_cast<int64_t>(rows.size());
  unpacked.seq_len = 7;
  // Packed: all samples in one row, segments 1..3, positions restarting, two pad tokens at the end.
  data::Batch packed;
  packed.rows = 1;
  packed.seq_len = 6 + 4 + 7 + 2;
  for (size_t s = 0; s < rows.size(); ++s) {
    for (size_t i = 0; i < 7; ++i) {
      const bool real = i < rows[s].size();
      unpacked.input_ids.push_back(real ? rows[s][i] : 0);
      unpacked.labels.push_back(real && i > 0 ? rows[s][i] : -100);
      unpacked.position_ids.push_back(static_cast<int32_t>(i));
      unpacked.segment_ids.push_back(real ? 1 : 0);
    }
    for (size_t i = 0; i < rows[s].size(); ++i) {
      packed.input_ids.push_back(rows[s][i]);
      packed.labels.push_back(i > 0 ? rows[s][i] : -100);
      packed.position_ids.push_back(static_cast<int32_t>(i));
      packed.segment_ids.push_back(static_cast<int32_t>(s + 1));
    }
  }
  for (int32_t i = 0; i < 2; ++i) {
    packed.input_ids.push_back(0);
    packed.labels.push_back(-100);
    packed.position_ids.push_back(i);
    packed.segment_ids.push_back(0);
  }
  torch::NoGradGuard no_grad;
  const double a = loss.sum(to_tensors(unpacked, torch::kCPU)).item<double>();
  const double b = loss.sum(to_tensors(packed, torch::kCPU)).item<double>();
  const double trained = 5 + 3 + 6;
  EXPECT_NEAR(a / trained, b / trained, 1e-5);
  EXPECT_GT(a, 0.0);
}

}  // namespace
}  // namespace axolotl::train
