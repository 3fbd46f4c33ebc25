// train::cross_entropy_sum against LibTorch's cross_entropy(reduction=sum, ignore_index=-100): values
// and gradients in float32 and bf16, with ignored rows, several blocks and a vocabulary larger than one.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "axolotl/train/cross_entropy.h"

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

}  // namespace
}  // namespace axolotl::train
