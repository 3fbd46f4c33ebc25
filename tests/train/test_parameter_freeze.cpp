// unfrozen_parameters on the tiny PEFT reference LLaMA: full fine-tuning matches the model's own names
// at the start only (re.match) with literal dots; a row range zeroes the other rows' gradients; with
// an adapter the patterns see PEFT's wrapped names, so base-model patterns would freeze everything
// (Axolotl then trains nothing): they are dropped with a warning and the adapter trains, also when
// they match no name at all; PEFT-style patterns matching nothing are refused; patterns over
// lora_A.default / lora_B.default keep those trainable; base weights an adapter cannot save are refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/train/parameter_freeze.h"
#include "axolotl/util/error.h"
#include "peft_tiny_model.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

model::LlamaForCausalLM tiny() { return testing_models::peft_tiny_base(); }

std::vector<std::string> trainable(model::LlamaForCausalLM& m) {
  std::vector<std::string> out;
  for (const auto& p : m->named_parameters())
    if (p.value().requires_grad()) out.push_back(p.key());
  return out;
}

void with_lora(model::LlamaForCausalLM& m) {
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.rank = 2;
  lora.alpha = 4;
  lora.target_modules = {"q_proj", "v_proj"};
  for (auto& p : m->parameters()) p.set_requires_grad(false);
  adapters::setup_adapters(*m, lora, {}, "tiny");
}

TEST(ParameterFreeze, FullFineTuningKeepsOnlyMatchingNames) {
  auto m = tiny();
  apply_unfrozen_parameters(*m, {"^model.layers.0.mlp.*", "lm_head"}, false);
  for (const auto& name : trainable(m)) {
    EXPECT_TRUE(name.rfind("model.layers.0.mlp.", 0) == 0 || name.rfind("lm_head", 0) == 0) << name;
  }
  EXPECT_FALSE(trainable(m).empty());
  EXPECT_FALSE(m->model->embed_tokens->weight.requires_grad());
}

TEST(ParameterFreeze, DotsAreLiteralAndMatchingIsAnchoredAtTheStart) {
  auto m = tiny();
  // "layers.0" alone does not match "model.layers.0..." (re.match anchors at the start).
  EXPECT_THROW(apply_unfrozen_parameters(*m, {"layers.0"}, false), ConfigError);
  // A literal dot: "model.layers.0.mlp" must not match "modelXlayers".
  auto n = tiny();
  apply_unfrozen_parameters(*n, {"model.norm"}, false);
  EXPECT_EQ(trainable(n), std::vector<std::string>({"model.norm.weight"}));
}

TEST(ParameterFreeze, RowRangeZeroesTheGradientOfTheOtherRows) {
  auto m = tiny();
  apply_unfrozen_parameters(*m, {"^model.embed_tokens.weight$[2:5]"}, false);
  auto& w = m->model->embed_tokens->weight;
  ASSERT_TRUE(w.requires_grad());
  const auto ids = torch::tensor({1, 2, 3, 4, 5, 6, 7}).unsqueeze(0);
  m->forward(ids).pow(2).sum().backward();
  const auto g = w.grad();
  ASSERT_TRUE(g.defined());
  EXPECT_GT(g.narrow(0, 2, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(g.narrow(0, 0, 2).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(g.narrow(0, 5, g.size(0) - 5).abs().sum().item<double>(), 0.0);
}

TEST(ParameterFreeze, WithAnAdapterBaseModelPatternsAreDroppedAndTheAdapterTrains) {
  auto m = tiny();
  with_lora(m);
  const auto adapter_only = trainable(m);
  ASSERT_FALSE(adapter_only.empty());
  // Axolotl's Gemma-3 QLoRA examples: base-model names meet PEFT's wrapped ones.
  apply_unfrozen_parameters(*m, {"^model.layers.*", "^lm_head.*"}, true);
  EXPECT_EQ(trainable(m), adapter_only);
}

TEST(ParameterFreeze, WithAnAdapterPeftStylePatternsMatchingNothingAreRefused) {
  auto m = tiny();
  with_lora(m);
  // examples/gemma3/gemma-3-1b-qlora.yml: the multimodal model's names on a text model, no match at all.
  const auto adapter_only = trainable(m);
  apply_unfrozen_parameters(*m, {"^model.language_model.*", "^lm_head.*"}, true);
  EXPECT_EQ(trainable(m), adapter_only);
  // A pattern written for PEFT's names that matches nothing is a typo: refused.
  try {
    apply_unfrozen_parameters(*m, {"^base_model.model.model.layers.0.self_attn.q_proj.lora_X"}, true);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("base_model.model."), std::string::npos) << e.what();
  }
}

TEST(ParameterFreeze, WithAnAdapterPeftNamesSelectLoraWeights) {
  auto m = tiny();
  with_lora(m);
  apply_unfrozen_parameters(*m, {"^base_model.model.model.layers.0.self_attn.q_proj.lora_[AB].default"}, true);
  const auto names = trainable(m);
  ASSERT_EQ(names.size(), 2u);
  for (const auto& n : names) EXPECT_NE(n.find("layers.0.self_attn.q_proj.lora_"), std::string::npos) << n;
  auto b = tiny();
  with_lora(b);
  EXPECT_THROW(apply_unfrozen_parameters(*b, {"^base_model.model.model.norm"}, true), ConfigError);
}

}  // namespace
}  // namespace axolotl::train
