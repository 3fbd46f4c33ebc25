// LISA (train/lisa_layers.h) on the tiny PEFT reference LLaMA (2 layers): layers switch at steps 0,
// 1 and each multiple of the interval, as Axolotl's LISACallback.on_step_begin; the choice depends on
// (seed, switch step) only, so a resumed run trains the same layers; only the chosen layers get
// gradients while the embeddings, final norm and head keep their own trainability.
#include <gtest/gtest.h>

#include <set>
#include <torch/torch.h>

#include "axolotl/model/weight_loader.h"
#include "axolotl/train/lisa_layers.h"
#include "axolotl/util/error.h"
#include "peft_tiny_model.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

model::LlamaForCausalLM tiny() { return testing_models::peft_tiny_base(); }

TEST(LisaLayers, SwitchStepsFollowAxolotlsCallback) {
  auto m = tiny();
  LisaLayers every20(*m, 1, 20, 42);
  const std::vector<std::pair<int64_t, int64_t>> want = {{0, 0}, {1, 1}, {2, 1}, {19, 1}, {20, 20}, {39, 20}, {40, 40}};
  for (const auto& [step, at] : want) EXPECT_EQ(every20.switch_step(step), at) << "step " << step;
  LisaLayers every1(*m, 1, 1, 42);
  for (int64_t step = 0; step < 5; ++step) EXPECT_EQ(every1.switch_step(step), step);
}

TEST(LisaLayers, ChoiceIsAFunctionOfSeedAndSwitchStep) {
  auto m = tiny();
  LisaLayers a(*m, 1, 1, 42), b(*m, 1, 1, 42);
  std::set<int64_t> seen;
  for (int64_t step = 0; step < 32; ++step) {
    const auto layers = a.layers_for(step);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers, b.layers_for(step));
    seen.insert(layers[0]);
  }
  EXPECT_EQ(seen.size(), 2u) << "both layers are chosen at some switch";
  LisaLayers both(*m, 2, 5, 1);
  EXPECT_EQ(both.layers_for(0), (std::vector<int64_t>{0, 1}));
  EXPECT_THROW(LisaLayers(*m, 3, 5, 1), ConfigError);
  EXPECT_THROW(LisaLayers(*m, 1, 0, 1), ConfigError);
}

TEST(LisaLayers, OnlyTheChosenLayersGetGradients) {
  auto m = tiny();
  for (auto& p : m->parameters()) p.set_requires_grad(true);  // full fine-tuning
  LisaLayers lisa(*m, 1, 1, 42);
  for (int64_t step = 0; step < 4; ++step) {
    lisa.at_step(step);
    const int64_t on = lisa.active().at(0);
    const auto ids = torch::tensor({1, 2, 3, 4, 5, 6, 7}).unsqueeze(0);
    m->forward(ids).pow(2).mean().backward();
    for (const auto& item : m->named_parameters()) {
      const std::string& name = item.key();
      const auto& g = item.value().grad();
      if (name.rfind("model.layers.", 0) == 0) {
        const bool chosen = name.rfind("model.layers." + std::to_string(on) + ".", 0) == 0;
        EXPECT_EQ(g.defined(), chosen) << name << " at step " << step;
      } else {
        EXPECT_TRUE(g.defined()) << name << ": not a decoder layer, stays trainable";
      }
    }
    for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
  }
}

}  // namespace
}  // namespace axolotl::train
