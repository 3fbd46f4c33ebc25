// QAT fake quantizers against tests/reference/qat_reference.py (torchao's formulas re-stated in Python,
// tests/assets/qat/golden.json): values and straight-through gradients on weights with a zero group and
// outliers and on activations with a zero token (nvfp4 and mxfp4 in float32 and bfloat16 too), e4m3fn and
// e2m1 rounding ties, block sizes, and the layer switch.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "axolotl/model/fake_quant.h"
#include "axolotl/model/linear.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::model {
namespace {

nlohmann::json golden() {
  return nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/qat/golden.json"));
}

torch::Tensor tensor_of(const nlohmann::json& values, const std::vector<int64_t>& shape) {
  return torch::tensor(values.get<std::vector<float>>()).view(shape);
}

torch::Tensor apply(const std::string& name, const torch::Tensor& x, int64_t group) {
  if (name == "int4_fp8_path") return fake_quant_int4_fp8_path(x, group);
  if (name == "int4_bf16_path") return fake_quant_int4_bf16_path(x, group);
  if (name == "float8_rowwise") return fake_quant_float8_rowwise(x);
  if (name == "int8_per_token") return fake_quant_int8_per_token(x);
  if (name == "nvfp4") return fake_quant_nvfp4(x);
  if (name == "mxfp4") return fake_quant_mxfp4(x);
  ADD_FAILURE() << "unknown case " << name;
  return x;
}

TEST(FakeQuant, ValuesAndGradientsMatchTorchaoFormulas) {
  const auto g = golden();
  ASSERT_EQ(g["cases"].size(), 13u);
  for (const auto& c : g["cases"]) {
    const auto shape = c["shape"].get<std::vector<int64_t>>();
    const auto dtype = c["dtype"] == "bfloat16" ? torch::kBFloat16 : torch::kFloat;
    const std::string what = c["name"].get<std::string>() + " group " + std::to_string(c["group_size"].get<int64_t>()) +
                             " " + c["dtype"].get<std::string>();
    torch::Tensor x = tensor_of(c["input"], shape).to(dtype).requires_grad_(true);
    torch::Tensor out = apply(c["name"], x, c["group_size"].get<int64_t>());
    EXPECT_EQ(out.scalar_type(), dtype) << what;
    (out * tensor_of(c["upstream"], shape).to(dtype)).sum().backward();
    const auto expected = tensor_of(c["output"], shape), grad = tensor_of(c["grad"], shape);
    EXPECT_LE((out.detach().to(torch::kFloat) - expected).abs().max().item<float>(), 1e-6) << what << " (qat_reference.py)";
    EXPECT_LE((x.grad().to(torch::kFloat) - grad).abs().max().item<float>(), 1e-5) << what << " gradient (qat_reference.py)";
    EXPECT_FALSE(torch::equal(out.detach(), x.detach())) << what << ": fake quantization changed nothing";
  }
}

TEST(FakeQuant, E4m3RoundingTiesToEvenAndSaturatesAt448) {
  const auto p = golden()["e4m3_probe"];
  const auto n = static_cast<int64_t>(p["input"].size());
  const auto out = round_to_e4m3_ste(tensor_of(p["input"], {n}));
  EXPECT_TRUE(torch::equal(out, tensor_of(p["output"], {n}))) << out;
}

TEST(FakeQuant, E2m1RoundingTiesToEvenCode) {
  const auto p = golden()["e2m1_probe"];
  const auto n = static_cast<int64_t>(p["input"].size());
  const auto out = round_to_e2m1(tensor_of(p["input"], {n}));
  EXPECT_TRUE(torch::equal(out, tensor_of(p["output"], {n}))) << out;
}

TEST(FakeQuant, Fp4BlocksAreAlongTheLastDimAndTheirWidthIsChecked) {
  // One outlier per 16 (nvfp4) or 32 (mxfp4) values scales only its own block: an all-zero block of
  // the same row stays zero and a small value in the outlier's block rounds to zero.
  torch::Tensor w = torch::zeros({2, 64});
  w.index_put_({0, 3}, 6.0);
  w.index_put_({0, 4}, 0.2);
  w.index_put_({1, 40}, 0.3);
  for (const bool mx : {false, true}) {
    const auto out = mx ? fake_quant_mxfp4(w) : fake_quant_nvfp4(w);
    EXPECT_EQ(out[0][3].item<float>(), 6.0f) << (mx ? "mxfp4" : "nvfp4");
    EXPECT_EQ(out[0][4].item<float>(), 0.0f) << (mx ? "mxfp4" : "nvfp4");   // 0.2 at scale 1 rounds to 0 in e2m1
    // In its own block: nvfp4's e4m3 block scale (22 quanta of the per-tensor scale) puts it near 6, within
    // the scale's rounding; mxfp4's power of two 2^-4 puts it at 4.8, which rounds to 4.
    EXPECT_NEAR(out[1][40].item<float>(), mx ? 0.25f : 0.3f, mx ? 1e-6 : 0.3 / 22) << (mx ? "mxfp4" : "nvfp4");
    EXPECT_EQ(out[0].slice(0, 32).abs().max().item<float>(), 0.0f) << (mx ? "mxfp4" : "nvfp4");
  }
  EXPECT_THROW(fake_quant_nvfp4(torch::zeros({2, 24})), Error);
  EXPECT_THROW(fake_quant_mxfp4(torch::zeros({2, 48})), Error);
  EXPECT_EQ(fake_quant_nvfp4(torch::zeros({2, 48})).abs().max().item<float>(), 0.0f);  // no 0/0
}

TEST(FakeQuant, PerTokenInt8GradientIsStraightThrough) {
  // Scales are chosen under no_grad and nothing clamps inside a token's own range: the gradient is 1.
  torch::Tensor x = torch::randn({3, 16}).requires_grad_(true);
  fake_quant_int8_per_token(x).sum().backward();
  EXPECT_LE((x.grad() - 1).abs().max().item<float>(), 1e-5);
}

TEST(FakeQuant, GroupsAreAlongInFeaturesAndSizeIsChecked) {
  torch::Tensor w = torch::zeros({2, 64});
  w.index_put_({0, 3}, 1.0);  // only group 0 of row 0 has a non-zero scale
  w.index_put_({0, 4}, 0.3);
  const auto out = fake_quant_int4_bf16_path(w, 32);
  EXPECT_NE(out[0][4].item<float>(), 0.3f);           // quantized against the outlier in its group
  EXPECT_EQ(out[0].slice(0, 32).abs().max().item<float>(), 0.0f);  // the other group stays zero
  EXPECT_THROW(fake_quant_int4_fp8_path(torch::zeros({2, 48}), 32), Error);
}

TEST(FakeQuant, LayerUsesQuantizerOnlyWhileEnabled) {
  torch::manual_seed(3);
  DenseLinear layer(32, 8, false, torch::TensorOptions().dtype(torch::kFloat));
  {
    torch::NoGradGuard ng;
    layer.weight.normal_(0, 0.1);
  }
  const torch::Tensor x = torch::randn({2, 32});
  const torch::Tensor plain = layer.forward(x);
  auto fq = std::make_shared<FakeQuantizer>();
  fq->weight_kind = WeightFakeQuant::kInt4Bf16Path;
  fq->input_kind = InputFakeQuant::kInt8PerToken;
  fq->group_size = 32;
  layer.fake_quant = fq;
  const torch::Tensor faked = layer.forward(x);
  EXPECT_GT((faked - plain).abs().max().item<float>(), 1e-4);
  const torch::Tensor expected = torch::matmul(fake_quant_int8_per_token(x), fake_quant_int4_bf16_path(layer.weight, 32).t());
  EXPECT_LE((faked - expected).abs().max().item<float>(), 1e-5);
  fq->enabled = false;
  EXPECT_TRUE(torch::allclose(layer.forward(x), plain));

  fq->enabled = true;  // mxfp4: input and weight both faked, and both get straight-through gradients
  fq->weight_kind = WeightFakeQuant::kMxfp4;
  fq->input_kind = InputFakeQuant::kMxfp4;
  EXPECT_EQ(fq->width_multiple(), 32);
  torch::Tensor xg = x.clone().requires_grad_(true);
  const torch::Tensor mx = layer.forward(xg);
  EXPECT_LE((mx - torch::matmul(fake_quant_mxfp4(x), fake_quant_mxfp4(layer.weight).t())).abs().max().item<float>(), 1e-5);
  mx.sum().backward();
  const torch::Tensor w_dq = fake_quant_mxfp4(layer.weight).detach();
  EXPECT_LE((xg.grad() - w_dq.sum(0).expand_as(x)).abs().max().item<float>(), 1e-5);
  EXPECT_LE((layer.weight.grad() - fake_quant_mxfp4(x).sum(0).expand_as(layer.weight)).abs().max().item<float>(), 1e-5);
}

}  // namespace
}  // namespace axolotl::model
