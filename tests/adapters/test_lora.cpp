// LoraLinear semantics (FORMATS.md §3.4), quantized bases, injection by target names and trainability.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "adapter_fixtures.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/lora_linear.h"
#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"

namespace ad = axolotl::adapters;
namespace model = axolotl::model;
using axolotl::testing::make_tiny_model;
using axolotl::testing::tiny_input_ids;

namespace {

std::shared_ptr<model::DenseLinear> dense(int64_t in, int64_t out, torch::ScalarType dtype = torch::kFloat32) {
  auto l = std::make_shared<model::DenseLinear>(in, out, false, torch::TensorOptions().dtype(dtype));
  torch::NoGradGuard g;
  l->weight.normal_(0, 0.5);
  return l;
}

ad::AdapterConfig targets(std::vector<std::string> names) {
  ad::AdapterConfig c;
  c.r = 4;
  c.lora_alpha = 8;
  c.target_modules = std::move(names);
  return c;
}

}  // namespace

TEST(LoraLinear, InitIsANoOpWithPeftShapesAndBounds) {
  torch::manual_seed(0);
  auto base = dense(100, 30);
  ad::LoraLinear lora(base, {8, 16.0, 0.0, false});
  EXPECT_EQ(lora.lora_A->weight.sizes(), (std::vector<int64_t>{8, 100}));
  EXPECT_EQ(lora.lora_B->weight.sizes(), (std::vector<int64_t>{30, 8}));
  EXPECT_LE(lora.lora_A->weight.abs().max().item<double>(), 1.0 / std::sqrt(100.0));
  EXPECT_GT(lora.lora_A->weight.abs().max().item<double>(), 0.8 / std::sqrt(100.0));  // uniform fills the range
  EXPECT_EQ(lora.lora_B->weight.abs().max().item<double>(), 0.0);
  auto x = torch::randn({3, 5, 100});
  EXPECT_TRUE(torch::equal(lora.forward(x), base->forward(x)));
  EXPECT_DOUBLE_EQ(lora.scaling(), 2.0);
  EXPECT_DOUBLE_EQ((ad::LoraSpec{8, 16.0, 0.0, true}).scaling(), 16.0 / std::sqrt(8.0));
}

TEST(LoraLinear, ForwardIsBasePlusScaledLowRankProduct) {
  torch::manual_seed(1);
  auto base = dense(16, 12);
  ad::LoraLinear lora(base, {4, 8.0, 0.0, true});
  torch::NoGradGuard g;
  lora.lora_B->weight.normal_();
  auto x = torch::randn({2, 16});
  auto expect = x.matmul(base->weight.t()) + x.matmul(lora.lora_A->weight.t()).matmul(lora.lora_B->weight.t()) * (8.0 / 2.0);
  EXPECT_TRUE(torch::allclose(lora.forward(x), expect, 1e-5, 1e-6));
}

TEST(LoraLinear, HalfBaseKeepsFloat32AdapterAndReturnsBaseDtype) {
  auto base = dense(16, 8, torch::kBFloat16);
  ad::LoraLinear lora(base, {4, 8.0, 0.0, false});
  EXPECT_EQ(lora.lora_A->weight.scalar_type(), torch::kFloat32);
  EXPECT_EQ(lora.lora_B->weight.scalar_type(), torch::kFloat32);
  EXPECT_EQ(lora.forward(torch::randn({2, 16}, torch::kBFloat16)).scalar_type(), torch::kBFloat16);
}

// lora_A's gradient reads the base layer's input again (model::linear_of_widened) rather than a saved
// float32 copy or, with dropout, the dropped copy and its noise; values and gradients equal the plain
// graph's (model::linear on torch::dropout, which saves them) bit for bit, the dropout draws included.
TEST(LoraLinear, SavedInputRecastGivesThePlainGraphsNumbers) {
  for (const auto dtype : {torch::kBFloat16, torch::kFloat32}) {
    for (const double p : {0.0, 0.3}) {
      SCOPED_TRACE(std::string(c10::toString(dtype)) + " dropout " + std::to_string(p));
      if (dtype == torch::kFloat32 && p == 0.0) continue;  // nothing to save: the plain path
      torch::manual_seed(4);
      auto base = dense(64, 32, dtype);
      ad::LoraLinear lora(base, {8, 16.0, p, false});
      lora.train();
      {
        torch::NoGradGuard g;
        lora.lora_B->weight.normal_();
      }
      const auto x0 = torch::randn({2, 5, 64}).to(dtype);
      const auto gy = torch::randn({2, 5, 32}).to(dtype);
      auto x = x0.clone().requires_grad_(true);
      torch::manual_seed(9);
      auto y = lora.forward(x);
      y.backward(gy);
      auto xr = x0.clone().requires_grad_(true);
      auto a = lora.lora_A->weight.detach().clone().requires_grad_(true);
      auto b = lora.lora_B->weight.detach().clone().requires_grad_(true);
      torch::manual_seed(9);
      auto h = xr.to(torch::kFloat32);
      if (p > 0.0) h = torch::dropout(h, p, true);
      const auto ref = torch::add(base->forward(xr), model::linear(model::linear(h, a), b), 16.0 / 8).to(dtype);
      ref.backward(gy);
      EXPECT_TRUE(torch::equal(y, ref));
      EXPECT_TRUE(torch::equal(lora.lora_A->weight.grad(), a.grad()));
      EXPECT_TRUE(torch::equal(lora.lora_B->weight.grad(), b.grad()));
      EXPECT_TRUE(torch::equal(x.grad(), xr.grad()));
    }
  }
}

TEST(LoraLinear, DropoutOnlyOnTheAdapterInput) {
  torch::manual_seed(2);
  auto base = dense(16, 8);
  ad::LoraLinear lora(base, {4, 8.0, 0.9, false});
  lora.train();
  auto x = torch::randn({4, 16});
  // B = 0: whatever dropout does to the adapter input, the base path must be untouched.
  EXPECT_TRUE(torch::equal(lora.forward(x), base->forward(x)));
  torch::NoGradGuard g;
  lora.lora_B->weight.normal_();
  const auto a = lora.forward(x), b = lora.forward(x);
  EXPECT_FALSE(torch::equal(a, b)) << "dropout active in training";
  lora.eval();
  EXPECT_TRUE(torch::equal(lora.forward(x), lora.forward(x)));
}

TEST(LoraLinear, GradientsReachOnlyTheAdapter) {
  auto base = dense(16, 8);
  ad::LoraLinear lora(base, {4, 8.0, 0.0, false});
  auto x = torch::randn({3, 16});
  lora.forward(x).pow(2).sum().backward();
  EXPECT_FALSE(base->weight.requires_grad());
  EXPECT_FALSE(base->weight.grad().defined());
  EXPECT_TRUE(lora.lora_A->weight.grad().defined());  // zero (B = 0) but present
  EXPECT_TRUE(lora.lora_B->weight.grad().defined());
  EXPECT_GT(lora.lora_B->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(QuantizedLinear, Nf4AndInt8ForwardAndInputGradient) {
  torch::manual_seed(3);
  auto base = dense(128, 64);
  auto q4 = ad::Nf4Linear::from_dense(*base, 64, true, torch::kFloat32);
  auto q8 = ad::Int8Linear::from_dense(*base);
  for (std::shared_ptr<model::LinearLike> q : {std::shared_ptr<model::LinearLike>(q4), std::shared_ptr<model::LinearLike>(q8)}) {
    auto w = ad::dense_weight(*q, torch::kFloat32);  // what the layer computes with
    auto x = torch::randn({5, 128}, torch::requires_grad());
    auto y = q->forward(x);
    EXPECT_TRUE(torch::allclose(y, x.matmul(w.t()), 1e-5, 1e-5));
    // Relative error vs the dense layer: NF4 ~0.1, int8 ~0.01 of the weight scale.
    const double rel = ((y - base->forward(x)).norm() / base->forward(x).norm()).item<double>();
    EXPECT_LT(rel, q == q4 ? 0.15 : 0.02);
    y.sum().backward();
    EXPECT_TRUE(torch::allclose(x.grad(), torch::ones({5, 64}).matmul(w), 1e-5, 1e-5));
  }
  EXPECT_TRUE(q4->parameters().empty()) << "packed weight must not be cast by Module::to(dtype)";
}

TEST(Injection, TargetsBySuffixAndFreezesTheRest) {
  auto m = make_tiny_model();
  auto report = ad::inject_lora(*m, targets({"q_proj", "v_proj"}));
  EXPECT_EQ(report.adapted.size(), 4u);
  auto params = m->named_parameters();
  EXPECT_TRUE(params.contains("model.layers.1.self_attn.q_proj.lora_A.weight"));
  EXPECT_TRUE(params.contains("model.layers.1.self_attn.q_proj.base_layer.weight"));
  EXPECT_FALSE(params.contains("model.layers.1.self_attn.k_proj.lora_A.weight"));
  for (const auto& p : params) {
    const bool lora = p.key().find(".lora_") != std::string::npos;
    EXPECT_EQ(p.value().requires_grad(), lora) << p.key();
  }
  EXPECT_EQ(report.trainable_params, 2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 16 * 4));  // q (32 out), v (16 out)
}

TEST(Injection, NestedAndAllLinearTargets) {
  {
    auto m = make_tiny_model();
    auto r = ad::inject_lora(*m, targets({"layers.1.mlp.down_proj", "self_attn.o_proj"}));
    EXPECT_EQ(r.adapted, (std::vector<std::string>{"model.layers.0.self_attn.o_proj", "model.layers.1.self_attn.o_proj",
                                                   "model.layers.1.mlp.down_proj"}));
  }
  {
    auto m = make_tiny_model();
    axolotl::config::LoraConfig lora;
    lora.type = axolotl::config::AdapterType::kLora;
    lora.target_linear = true;
    auto adapter = ad::setup_adapters(*m, lora, {}, "tiny");
    EXPECT_EQ(adapter.target_modules.size(), 7u);
    EXPECT_EQ(ad::projections(*m).size(), 14u);
    for (const auto& [name, layer] : ad::projections(*m)) EXPECT_TRUE(std::dynamic_pointer_cast<ad::LoraLinear>(layer)) << name;
    EXPECT_FALSE(m->lm_head->weight.requires_grad());
  }
}

TEST(Injection, ModulesToSaveAreTrainedInFull) {
  auto m = make_tiny_model();
  auto c = targets({"q_proj"});
  c.modules_to_save = std::vector<std::string>{"embed_tokens", "lm_head"};
  auto r = ad::inject_lora(*m, c);
  EXPECT_EQ(r.saved_modules, (std::vector<std::string>{"model.embed_tokens", "lm_head"}));
  EXPECT_TRUE(m->lm_head->weight.requires_grad());
  EXPECT_TRUE(m->model->embed_tokens->weight.requires_grad());
  const auto state = ad::adapter_state(*m, c);
  EXPECT_TRUE(state.count("lm_head.weight"));
  EXPECT_TRUE(state.count("model.embed_tokens.weight"));
  EXPECT_EQ(state.size(), 2u + 2 * 2);
}

TEST(Injection, FullFineTuningKeepsEverythingTrainable) {
  auto m = make_tiny_model();
  axolotl::config::LoraConfig none;
  auto c = ad::setup_adapters(*m, none, {}, "tiny");
  EXPECT_EQ(c.r, 0);
  for (const auto& p : m->parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Injection, UnknownTargetsAreConfigErrors) {
  auto m = make_tiny_model();
  EXPECT_THROW(ad::inject_lora(*m, targets({"q_proj", "qkv_proj"})), axolotl::ConfigError);
  auto m2 = make_tiny_model(1, /*tied=*/true);
  auto c = targets({"q_proj"});
  c.modules_to_save = std::vector<std::string>{"lm_head"};
  try {
    ad::inject_lora(*m2, c);
    FAIL() << "expected ConfigError";
  } catch (const axolotl::ConfigError& e) {
    EXPECT_NE(e.problems().at(0).hint.find("ties"), std::string::npos);
  }
}

TEST(Injection, QloraQuantizesEveryProjectionAndTrainsTheAdapter) {
  auto config = axolotl::testing::tiny_llama();
  config.initializer_range = 0.02;  // HF's default scale: the regime of real checkpoints
  model::LlamaForCausalLM m(config, torch::TensorOptions());
  model::init_weights(*m, 7);
  m->eval();
  const auto ids = tiny_input_ids();
  const auto dense_logits = m->forward(ids).detach();
  axolotl::config::LoraConfig lora;
  lora.type = axolotl::config::AdapterType::kQlora;
  lora.target_modules = {"q_proj", "v_proj"};
  axolotl::config::QuantizationConfig quant;
  quant.load_in_4bit = true;
  quant.blocksize = 32;
  ad::setup_adapters(*m, lora, quant, "tiny");
  int64_t packed = 0, dense_bytes = 0;
  for (const auto& [name, layer] : ad::projections(*m)) {
    auto base = layer;
    if (auto l = std::dynamic_pointer_cast<ad::LoraLinear>(layer)) base = l->base_layer;
    auto q = std::dynamic_pointer_cast<ad::Nf4Linear>(base);
    ASSERT_TRUE(q) << name;
    packed += q->quantized().storage_bytes();
    dense_bytes += 2 * q->in_features() * q->out_features();
  }
  EXPECT_LE(static_cast<double>(packed) / dense_bytes, 0.32);  // blocksize 32: 0.25 + 1/64 + nested scales
  // The QLoRA forward (B = 0) stays close to the float forward: NF4 error ≈ 10% per weight, averaged out.
  const auto logits = m->forward(ids).detach();
  const double rel = ((logits - dense_logits).norm() / dense_logits.norm()).item<double>();
  std::printf("QLoRA logits relative error vs float32: %.4f\n", rel);
  EXPECT_LT(rel, 0.15);
  EXPECT_GT(rel, 0.0);
  m->train();
  m->forward(ids).logsumexp(-1).mean().backward();
  for (const auto& p : m->named_parameters()) {
    EXPECT_EQ(p.value().grad().defined(), p.key().find(".lora_") != std::string::npos) << p.key();
  }
}
