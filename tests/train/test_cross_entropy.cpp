// train::cross_entropy_sum against LibTorch's cross_entropy(reduction=sum, ignore_index=-100): values
// and gradients in float32 and bf16, with ignored rows, several blocks and a vocabulary larger than one.
// EAFT weights against tests/reference/eaft_reference.py (Axolotl's eaft_loss, tests/assets/eaft/golden.json).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "axolotl/train/cross_entropy.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

void compare(torch::ScalarType dtype, int64_t n, int64_t v, double tol) {
  torch::manual_seed(n * 31 + v);
  const auto base = (torch::randn({n, v}) * 3).to(dtype);  // (N, V)
  auto targets = torch::randint(0, v, {n}, torch::kInt64);  // (N)
  targets.index_put_({torch::arange(0, n, 3)}, -100);      // every third row ignored
  auto ours_in = base.clone().requires_grad_(true);
  auto ref_in = base.clone().requires_grad_(true);
  auto ours = cross_entropy_sum(ours_in, targets);
  auto ref = torch::nn::functional::cross_entropy(
      ref_in.to(torch::kFloat32), targets,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  EXPECT_EQ(ours.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(ours.item<double>(), ref.item<double>(), tol * std::abs(ref.item<double>()) + 1e-4);
  (ours * 0.37).backward();
  (ref * 0.37).backward();
  ASSERT_EQ(ours_in.grad().scalar_type(), dtype);
  const auto diff = (ours_in.grad().to(torch::kFloat32) - ref_in.grad().to(torch::kFloat32)).abs().max().item<double>();
  EXPECT_LT(diff, tol) << "gradient differs by " << diff;
  // Ignored rows get no gradient at all.
  EXPECT_EQ(ours_in.grad()[0].abs().sum().item<double>(), 0.0);
}

TEST(CrossEntropy, Float32MatchesTorch) { compare(torch::kFloat32, 37, 1000, 1e-5); }

TEST(CrossEntropy, ManyBlocksOfALargeVocabulary) { compare(torch::kFloat32, 70, 32000, 1e-5); }

TEST(CrossEntropy, Bfloat16LogitsComputeInFloat32) { compare(torch::kBFloat16, 20, 500, 1e-2); }

TEST(CrossEntropy, AllRowsIgnoredIsZeroWithZeroGradient) {
  auto logits = torch::randn({4, 10}, torch::requires_grad());
  auto loss = cross_entropy_sum(logits, torch::full({4}, -100, torch::kInt64));
  EXPECT_EQ(loss.item<double>(), 0.0);
  loss.backward();
  EXPECT_EQ(logits.grad().abs().sum().item<double>(), 0.0);
}

TEST(CrossEntropy, MismatchedShapesAreAnError) {
  EXPECT_THROW(cross_entropy_sum(torch::randn({4, 10}), torch::zeros({3}, torch::kInt64)), std::exception);
}

TEST(CrossEntropy, EntropyWeightingMatchesAxolotlsEaftLoss) {
  const auto golden =
      nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/eaft/golden.json"));
  ASSERT_EQ(golden["cases"].size(), 3u);
  for (const auto& c : golden["cases"]) {
    const int64_t n = c["n"], v = c["v"];
    const std::string name = "k " + std::to_string(c["k"].get<int>()) + " alpha " + std::to_string(c["alpha"].get<double>());
    auto logits = torch::tensor(c["logits"].get<std::vector<float>>()).view({n, v}).requires_grad_(true);  // (N, V)
    const auto labels = torch::tensor(c["labels"].get<std::vector<int64_t>>());                            // (N)
    const auto loss = cross_entropy_sum(logits, labels, -100, EntropyWeighting{c["alpha"], c["k"]});
    const double expected = c["loss_sum"];
    EXPECT_NEAR(loss.item<double>(), expected, 1e-5 * std::abs(expected)) << name;
    loss.backward();
    const auto grad = torch::tensor(c["grad"].get<std::vector<float>>()).view({n, v});
    EXPECT_LT((logits.grad() - grad).abs().max().item<double>(), 1e-6) << name;
    // The weights differ from 1, so the golden tells EAFT from the plain loss.
    EXPECT_GT(std::abs(cross_entropy_sum(logits.detach(), labels).item<double>() - expected), 1e-3) << name;
  }
}

TEST(CrossEntropy, EntropyWeightingOfBfloat16LogitsComputesInFloat32) {
  torch::manual_seed(5);
  const auto base = torch::randn({20, 300}) * 3;                    // (N, V)
  auto targets = torch::randint(0, 300, {20}, torch::kInt64);      // (N)
  targets.index_put_({torch::arange(0, 20, 5)}, -100);
  const EntropyWeighting w{0.7, 20};
  const auto narrow = base.to(torch::kBFloat16);
  const auto wide = cross_entropy_sum(narrow.to(torch::kFloat32), targets, -100, w);
  const auto ours = cross_entropy_sum(narrow, targets, -100, w);
  EXPECT_NEAR(ours.item<double>(), wide.item<double>(), 1e-5 * std::abs(wide.item<double>()));
}

TEST(CrossEntropy, EntropyWeightingNeedsALogit) {
  EXPECT_THROW(cross_entropy_sum(torch::randn({4, 10}), torch::zeros({4}, torch::kInt64), -100, EntropyWeighting{1.0, 0}),
               std::exception);
}

}  // namespace
}  // namespace axolotl::train
