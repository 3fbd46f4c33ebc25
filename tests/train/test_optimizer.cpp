// Optimizer: weight-decay groups, the first AdamW step by its formula (Loshchilov & Hutter;
// torch.optim.AdamW), exact continuation after save/load, gradient clipping as clip_grad_norm_.
#include <gtest/gtest.h>

#include <cmath>

#include "axolotl/train/optimizer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

TEST(Optimizer, NoDecayForBiasesAndNorms) {
  EXPECT_TRUE(takes_weight_decay("model.layers.0.self_attn.q_proj.lora_A.default.weight"));
  EXPECT_TRUE(takes_weight_decay("model.embed_tokens.weight"));
  EXPECT_FALSE(takes_weight_decay("model.layers.0.input_layernorm.weight"));
  EXPECT_FALSE(takes_weight_decay("model.norm.weight"));
  EXPECT_FALSE(takes_weight_decay("model.layers.0.mlp.up_proj.bias"));
}

TEST(Optimizer, FirstAdamWStepFollowsTheFormula) {
  config::TrainingConfig cfg;
  cfg.learning_rate = 0.1;
  cfg.weight_decay = 0.5;
  torch::Tensor w = torch::tensor({1.0f, -2.0f}).requires_grad_();
  torch::Tensor n = torch::tensor({3.0f}).requires_grad_();
  Optimizer opt(cfg, {{"layer.weight", w}, {"model.norm.weight", n}});
  w.mutable_grad() = torch::tensor({0.5f, -0.25f});
  n.mutable_grad() = torch::tensor({2.0f});
  opt.step();
  // m_hat = g, v_hat = g^2: p <- p (1 - lr wd) - lr g / (|g| + eps)
  auto expect = [&](double p, double g, double wd) { return p * (1 - 0.1 * wd) - 0.1 * g / (std::abs(g) + 1e-8); };
  EXPECT_NEAR(w[0].item<float>(), expect(1.0, 0.5, 0.5), 1e-6);
  EXPECT_NEAR(w[1].item<float>(), expect(-2.0, -0.25, 0.5), 1e-6);
  EXPECT_NEAR(n[0].item<float>(), expect(3.0, 2.0, 0.0), 1e-6);  // norm: no decay
}

TEST(Optimizer, SetLrReachesEveryGroup) {
  config::TrainingConfig cfg;
  torch::Tensor w = torch::ones({2}).requires_grad_();
  torch::Tensor b = torch::ones({2}).requires_grad_();
  Optimizer opt(cfg, {{"a.weight", w}, {"a.bias", b}});
  opt.set_lr(0.0);
  w.mutable_grad() = torch::ones({2});
  b.mutable_grad() = torch::ones({2});
  opt.step();
  EXPECT_TRUE(torch::equal(w, torch::ones({2})));
  EXPECT_TRUE(torch::equal(b, torch::ones({2})));
  EXPECT_EQ(opt.lr(), 0.0);
}

// Runs `steps` AdamW steps on a fixed quadratic; returns the parameter.
void run_steps(Optimizer& opt, torch::Tensor& p, int from, int to) {
  for (int s = from; s < to; ++s) {
    opt.zero_grad();
    torch::Tensor target = torch::arange(4, torch::kFloat32) * (0.1 * (s + 1));
    auto loss = (p - target).pow(2).sum();
    loss.backward();
    opt.step();
  }
}

TEST(Optimizer, SaveLoadContinuesBitForBit) {
  testing::TempDir dir;
  for (auto kind : {config::Optimizer::kAdamW, config::Optimizer::kSgd}) {
    config::TrainingConfig cfg;
    cfg.optimizer = kind;
    cfg.learning_rate = 0.05;
    cfg.weight_decay = 0.01;
    cfg.sgd_momentum = 0.9;
    torch::manual_seed(0);
    torch::Tensor a = torch::randn({4}).requires_grad_();
    torch::Tensor b = a.detach().clone().requires_grad_();
    Optimizer straight(cfg, {{"p.weight", a}});
    run_steps(straight, a, 0, 6);

    Optimizer first(cfg, {{"p.weight", b}});
    run_steps(first, b, 0, 3);
    first.save((dir / "opt.pt").string());
    torch::Tensor c = b.detach().clone().requires_grad_();
    Optimizer resumed(cfg, {{"p.weight", c}});
    resumed.load((dir / "opt.pt").string());
    run_steps(resumed, c, 3, 6);
    EXPECT_TRUE(torch::equal(a, c)) << "kind " << static_cast<int>(kind);
  }
}

TEST(Optimizer, LoadOfAMismatchedStateIsAnIoError) {
  testing::TempDir dir;
  config::TrainingConfig cfg;
  testing::write_file(dir / "bad.pt", "not an archive");
  torch::Tensor a = torch::zeros({4}).requires_grad_();
  Optimizer opt(cfg, {{"p.weight", a}});
  EXPECT_THROW(opt.load((dir / "bad.pt").string()), IoError);
}

TEST(ClipGradNorm, GlobalNormAndScaling) {
  torch::Tensor a = torch::zeros({2}).requires_grad_();
  torch::Tensor b = torch::zeros({1}).requires_grad_();
  torch::Tensor frozen = torch::zeros({1});
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::tensor({4.0f});
  const NamedParams params{{"a", a}, {"b", b}, {"frozen", frozen}};
  EXPECT_NEAR(clip_grad_norm(params, 0.0), 5.0, 1e-6);  // 0 disables clipping: grads unchanged
  EXPECT_FLOAT_EQ(a.grad()[0].item<float>(), 3.0f);
  EXPECT_NEAR(clip_grad_norm(params, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<float>(), 3.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_NEAR(b.grad()[0].item<float>(), 4.0 / (5.0 + 1e-6), 1e-6);
  const double after = clip_grad_norm(params, 10.0);  // below the limit: unchanged
  EXPECT_NEAR(after, 1.0, 1e-5);
  EXPECT_NEAR(b.grad()[0].item<float>(), 4.0 / (5.0 + 1e-6), 1e-6);
}

TEST(ClipGradNorm, NonFiniteNormIsReportedNotApplied) {
  torch::Tensor a = torch::zeros({2}).requires_grad_();
  a.mutable_grad() = torch::tensor({std::nanf(""), 1.0f});
  EXPECT_TRUE(std::isnan(clip_grad_norm({{"a", a}}, 1.0)));
  EXPECT_FLOAT_EQ(a.grad()[1].item<float>(), 1.0f);
}

}  // namespace
}  // namespace axolotl::train
