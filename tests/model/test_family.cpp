// The non-LLaMA families (Qwen2, Qwen3, Gemma-2, Gemma-3 text, Phi-3) against tiny random checkpoints
// and goldens that tests/reference/family_reference.py (plain torch, HF semantics) writes at test time:
// teacher-forced logits within 1e-5, greedy ids with and without the KV cache (sliding windows and
// soft-caps included), a negative control per family feature, packed rows with sliding windows, and
// LoRA training / merge / NF4 on each family's own projections (Phi-3's fused ones included); Qwen2/Qwen3
// with YaRN rope scaling (qwen*_yarn).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/lora_merge.h"
#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/model/family.h"
#include "axolotl/model/generator.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/rotary_embedding.h"
#include "axolotl/model/weight_loader.h"
#include "family_goldens.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
namespace fs = std::filesystem;

using family_test::golden;
using family_test::ids_tensor;
using family_test::load;
using family_test::rows;

std::vector<int64_t> greedy(LlamaForCausalLMImpl& m, const std::vector<int64_t>& prompt, size_t n, bool cache) {
  GenerationOptions o;
  o.max_new_tokens = static_cast<int>(n);
  o.eos_ids = {-1};
  o.use_cache = cache;
  return generate(m, prompt, o).tokens;
}

class Family : public ::testing::TestWithParam<std::string> {};

TEST_P(Family, LogitsMatchReference) {
  REQUIRE_GOLDENS();
  torch::NoGradGuard no_grad;
  auto m = load(GetParam());
  auto g = golden(GetParam());
  auto logits = m->forward(ids_tensor(g.at("input_ids").get<std::vector<int64_t>>()))[0];  // (T, V)
  const float diff = (logits - rows(g.at("logits"))).abs().max().item<float>();
  EXPECT_LT(diff, 1e-5) << "golden from tests/reference/family_reference.py";
  // Negative controls: the reference with one feature switched off lands far from us.
  for (const auto& [feature, control] : g.at("controls").items()) {
    EXPECT_GT((logits - rows(control)).abs().max().item<float>(), 1e-4) << feature << " does not change the logits";
  }
}

TEST_P(Family, GreedyMatchesReferenceWithAndWithoutCache) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());
  auto g = golden(GetParam());
  const auto expected = g.at("greedy").get<std::vector<int64_t>>();
  const auto prompt = g.at("prompt").get<std::vector<int64_t>>();
  EXPECT_EQ(greedy(*m, prompt, expected.size(), true), expected);
  EXPECT_EQ(greedy(*m, prompt, expected.size(), false), expected);
}

TEST_P(Family, NamedParametersAreCheckpointKeys) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());  // load_weights refuses missing or unexpected keys
  EXPECT_GT(m->named_parameters().size(), 0u);
  EXPECT_NE(family_label(m->config()).find(m->config().architecture), std::string::npos);
}

// Two samples packed in one row (plus padding) equal separate runs, sliding windows counted per segment.
TEST_P(Family, PackedRowsMatchSeparateRuns) {
  REQUIRE_GOLDENS();
  torch::NoGradGuard no_grad;
  auto m = load(GetParam());
  const std::vector<int64_t> a{1, 5, 9, 13, 17, 21, 25}, b{1, 40, 33, 8, 12, 6};
  std::vector<int64_t> packed = a;
  packed.insert(packed.end(), b.begin(), b.end());
  packed.insert(packed.end(), {0, 0});
  std::vector<int64_t> seg(a.size(), 1);
  seg.insert(seg.end(), b.size(), 2);
  seg.insert(seg.end(), {0, 0});
  ForwardArgs args;
  args.segment_ids = torch::tensor(seg, torch::kInt64).unsqueeze(0);
  auto out = m->forward(ids_tensor(packed), args)[0];  // (15, V)
  const auto na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  EXPECT_LT((out.narrow(0, 0, na) - m->forward(ids_tensor(a))[0]).abs().max().item<float>(), 1e-5);
  EXPECT_LT((out.narrow(0, na, nb) - m->forward(ids_tensor(b))[0]).abs().max().item<float>(), 1e-5);
}

// LoRA on every linear of the family (lora_target_linear): loss falls; merge equals base + adapter.
TEST_P(Family, LoraTrainsAndMergesOnTheFamilyProjections) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.rank = 4;
  lora.alpha = 8;
  lora.target_linear = true;
  lora.target_modules = adapters::llama_linear_names();  // what config resolution fills in
  adapters::InjectionReport report;
  adapters::setup_adapters(*m, lora, {}, "tiny", &report);
  const auto names = linear_module_names(m->config());
  EXPECT_EQ(report.adapted.size(), names.size() * static_cast<size_t>(m->config().num_hidden_layers));
  for (const auto& n : report.adapted) {
    EXPECT_TRUE(std::any_of(names.begin(), names.end(), [&](const std::string& s) {
      return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
    })) << n;
  }
  m->train();
  std::vector<torch::Tensor> params;
  for (auto& p : m->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
  auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40, 3, 17, 26, 11});
  auto loss_of = [&] {
    auto logits = m->forward(ids.narrow(1, 0, 11))[0];  // (11, V)
    return torch::nn::functional::cross_entropy(logits, ids[0].narrow(0, 1, 11));
  };
  const float first = loss_of().item<float>();
  for (int step = 0; step < 15; ++step) {
    opt.zero_grad();
    auto loss = loss_of();
    loss.backward();
    opt.step();
  }
  m->eval();
  torch::NoGradGuard no_grad;
  const float last = loss_of().item<float>();
  EXPECT_LT(last, first * 0.8f) << "first " << first << " last " << last;
  auto before = m->forward(ids)[0];  // base + adapter
  EXPECT_EQ(adapters::merge_and_unload(*m), static_cast<int64_t>(report.adapted.size()));
  auto after = m->forward(ids)[0];   // merged dense weights
  EXPECT_LT((before - after).abs().max().item<float>(), 1e-4);
}

// NF4 on every projection (fused ones included): the forward is that of the dequantized weights (what a
// merge onto the NF4 base writes), and each dequantized weight stays within NF4's error of the original.
TEST_P(Family, Nf4ForwardIsTheDequantizedForward) {
  REQUIRE_GOLDENS();
  torch::NoGradGuard no_grad;
  auto m = load(GetParam());
  auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40});
  auto full = m->forward(ids)[0];
  std::map<std::string, torch::Tensor> original;
  for (const auto& [name, layer] : adapters::projections(*m)) {
    original[name] = std::dynamic_pointer_cast<DenseLinear>(layer)->weight.clone();
  }
  config::QuantizationConfig q;
  q.load_in_4bit = true;
  const auto count = adapters::quantize_base(*m, q);
  EXPECT_EQ(count, static_cast<int64_t>(linear_module_names(m->config()).size()) * m->config().num_hidden_layers);
  auto nf4 = m->forward(ids)[0];
  EXPECT_GT((nf4 - full).abs().max().item<float>(), 0.0f);
  adapters::AdapterConfig adapter;  // LoRA B starts at zero: merging writes the dequantized base
  adapter.r = 2;
  adapter.target_modules = linear_module_names(m->config());
  adapters::inject_lora(*m, adapter);
  adapters::merge_and_unload(*m);
  EXPECT_LT((m->forward(ids)[0] - nf4).abs().max().item<float>(), 1e-4);
  for (const auto& [name, layer] : adapters::projections(*m)) {
    auto deq = std::dynamic_pointer_cast<DenseLinear>(layer)->weight;
    const float rel = ((deq - original[name]).norm() / original[name].norm()).item<float>();
    EXPECT_LT(rel, 0.15f) << name;  // NF4 with 64-blocks: ~0.1 relative RMS error on Gaussian weights
  }
}

// load_in_8bit on every projection (fused ones included): each weight within int8 absmax-per-row rounding
// (|error| <= absmax/254 per element) of the original, and the logits within that error's effect.
TEST_P(Family, Int8ForwardWithinItsRoundingError) {
  REQUIRE_GOLDENS();
  torch::NoGradGuard no_grad;
  auto m = load(GetParam());
  auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40});
  auto full = m->forward(ids)[0];
  std::map<std::string, torch::Tensor> original;
  for (const auto& [name, layer] : adapters::projections(*m)) {
    original[name] = std::dynamic_pointer_cast<DenseLinear>(layer)->weight.clone();
  }
  config::QuantizationConfig q;
  q.load_in_8bit = true;
  EXPECT_EQ(adapters::quantize_base(*m, q),
            static_cast<int64_t>(linear_module_names(m->config()).size()) * m->config().num_hidden_layers);
  auto int8 = m->forward(ids)[0];
  const float moved = (int8 - full).abs().max().item<float>();
  EXPECT_GT(moved, 0.0f);
  EXPECT_LT(moved, 0.05f * full.abs().max().item<float>());
  for (const auto& [name, layer] : adapters::projections(*m)) {
    const auto deq = adapters::dense_weight(*layer, torch::kFloat32);
    const auto bound = original[name].abs().amax(1, true) / 254.0 + 1e-6;  // (out, 1)
    EXPECT_TRUE(((deq - original[name]).abs() <= bound).all().item<bool>()) << name;
  }
}

// Gemma in bf16: sqrt(hidden) is rounded to bf16 before scaling (5.65625 for 32), and the (1 + w) norm
// multiplies in float32 before the one cast (HF Gemma2RMSNorm), not after casting the normalised rows.
TEST(GemmaBf16, EmbedScaleAndUnitOffsetNormRoundLikeHf) {
  torch::NoGradGuard no_grad;
  LlamaConfig c = parse_llama_config(nlohmann::json{{"architectures", {"Gemma2ForCausalLM"}}, {"hidden_size", 32},
                                                    {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                                                    {"head_dim", 8}, {"num_hidden_layers", 1},
                                                    {"intermediate_size", 64}, {"vocab_size", 16}},
                                     "x");
  const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
  LlamaModel m(c, bf16);
  torch::manual_seed(3);
  m->embed_tokens->weight.copy_(torch::randn({16, 32}));
  auto ids = torch::arange(16, torch::kInt64).unsqueeze(0);
  auto expected = m->embed_tokens->weight.unsqueeze(0) * torch::tensor(5.65625, bf16);
  EXPECT_TRUE(m->embed(ids).equal(expected));
  RMSNorm norm(32, 1e-6, bf16, /*unit_offset=*/true);
  norm->weight.copy_(torch::randn({32}) * 0.3);
  auto x = (torch::randn({4, 32}) * 3).to(torch::kBFloat16);
  auto x32 = x.to(torch::kFloat32);
  auto ref = (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + 1e-6) * (1.0 + norm->weight.to(torch::kFloat32)))
                 .to(torch::kBFloat16);
  EXPECT_TRUE(norm->forward(x).equal(ref));
}

// YaRN's attention factor (cos/sin multiplier) from each source _compute_yarn_parameters reads: explicit,
// mscale / mscale_all_dim when both are non-zero, else 0.1·ln(factor) + 1; 1 at factor 1, where the
// frequencies are the default ones. The frequencies themselves are checked by the qwen*_yarn goldens.
TEST(Yarn, AttentionFactorSourcesAndFactorOne) {
  auto c = parse_llama_config(nlohmann::json{{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", 32},
                                             {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                                             {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 8.0}}}},
                              "x");
  EXPECT_DOUBLE_EQ(rope_attention_scaling(c), 0.1 * std::log(8.0) + 1.0);
  c.rope_scaling.mscale = 1.0;
  EXPECT_DOUBLE_EQ(rope_attention_scaling(c), 0.1 * std::log(8.0) + 1.0);  // mscale alone is ignored
  c.rope_scaling.mscale_all_dim = 0.5;
  EXPECT_DOUBLE_EQ(rope_attention_scaling(c), (0.1 * std::log(8.0) + 1.0) / (0.05 * std::log(8.0) + 1.0));
  c.rope_scaling.attention_factor = 1.25;
  EXPECT_DOUBLE_EQ(rope_attention_scaling(c), 1.25);
  c.rope_scaling = RopeScaling{};
  c.rope_scaling.type = RopeType::kYarn;
  EXPECT_DOUBLE_EQ(rope_attention_scaling(c), 1.0);
  LlamaConfig plain = c;
  plain.rope_scaling = RopeScaling{};
  EXPECT_TRUE(torch::allclose(rope_inv_freq(c, 0), rope_inv_freq(plain, 0), 1e-6, 0));
}

INSTANTIATE_TEST_SUITE_P(Model, Family, ::testing::Values("qwen2", "qwen3", "gemma2", "gemma3", "phi3", "qwen3_yarn",
                                                          "qwen2_yarn"));

}  // namespace
}  // namespace axolotl::model
