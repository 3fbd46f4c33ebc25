// model::linear and model::batched_matmul give LibTorch's values and gradients on every path
// (oneDNN sgemm for CPU float32 when built with it, LibTorch's ops otherwise).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "axolotl/model/cpu_gemm.h"

namespace axolotl::model {
namespace {

void expect_close(const torch::Tensor& got, const torch::Tensor& want, const char* what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double tol = got.scalar_type() == torch::kFloat32 ? 1e-4 : 3e-2;
  EXPECT_TRUE(torch::allclose(got.to(torch::kFloat32), want.to(torch::kFloat32), tol, tol))
      << what << ": max |diff| " << (got.to(torch::kFloat32) - want.to(torch::kFloat32)).abs().max().item<double>();
}

// Values and gradients of f(ours) against f(reference) for the same leaf inputs.
template <typename Ours, typename Ref>
void check_against_torch(std::vector<torch::Tensor> inputs, Ours ours, Ref ref) {
  std::vector<torch::Tensor> a, b;
  for (const auto& t : inputs) {
    a.push_back(t.detach().clone().requires_grad_(t.requires_grad()));
    b.push_back(t.detach().clone().requires_grad_(t.requires_grad()));
  }
  auto ya = ours(a), yb = ref(b);
  expect_close(ya, yb, "value");
  auto g = torch::randn_like(yb.to(torch::kFloat32)).to(yb.scalar_type());
  ya.backward(g);
  yb.backward(g);
  for (size_t i = 0; i < a.size(); ++i) {
    if (!inputs[i].requires_grad()) {
      EXPECT_FALSE(a[i].grad().defined()) << "input " << i << " got a gradient it does not need";
      continue;
    }
    expect_close(a[i].grad(), b[i].grad(), ("gradient of input " + std::to_string(i)).c_str());
  }
}

TEST(CpuGemm, LinearMatchesTorchWithAndWithoutTrainableWeight) {
  torch::manual_seed(1);
  for (bool train_weight : {false, true}) {
    for (bool with_bias : {false, true}) {
      auto x = torch::randn({3, 5, 17}).requires_grad_(true);                    // (B, T, in)
      auto w = torch::randn({11, 17}).requires_grad_(train_weight);              // (out, in)
      auto bias = with_bias ? torch::randn({11}).requires_grad_(train_weight) : torch::Tensor();
      std::vector<torch::Tensor> inputs{x, w};
      if (with_bias) inputs.push_back(bias);
      auto pick = [with_bias](const std::vector<torch::Tensor>& v) { return with_bias ? v[2] : torch::Tensor(); };
      check_against_torch(
          inputs, [&](const std::vector<torch::Tensor>& v) { return model::linear(v[0], v[1], pick(v)); },
          [&](const std::vector<torch::Tensor>& v) { return torch::nn::functional::linear(v[0], v[1], pick(v)); });
    }
  }
}

TEST(CpuGemm, LinearOfANonContiguousInput) {
  torch::manual_seed(2);
  auto x = torch::randn({4, 9, 16}).requires_grad_(true);
  auto w = torch::randn({6, 16}).requires_grad_(true);
  // The causal-LM loss feeds hidden states narrowed to T-1 positions: rows no longer evenly spaced.
  check_against_torch(
      {x, w}, [](const std::vector<torch::Tensor>& v) { return model::linear(v[0].narrow(1, 0, 8), v[1]); },
      [](const std::vector<torch::Tensor>& v) { return torch::nn::functional::linear(v[0].narrow(1, 0, 8), v[1]); });
}

TEST(CpuGemm, BatchedMatMulOfAttentionLayouts) {
  torch::manual_seed(3);
  // q/k/v as attention makes them: (B, T, nh, hd) projections viewed as (B, nh, T, hd).
  auto q = torch::randn({2, 7, 3, 8}).requires_grad_(true);
  auto k = torch::randn({2, 7, 3, 8}).requires_grad_(true);
  check_against_torch(
      {q, k},
      [](const std::vector<torch::Tensor>& v) { return batched_matmul(v[0].transpose(1, 2), v[1].transpose(1, 2), true, 0.3); },
      [](const std::vector<torch::Tensor>& v) {
        return torch::matmul(v[0].transpose(1, 2), v[1].transpose(1, 2).transpose(2, 3)) * 0.3;  // scaled scores
      });
  auto p = torch::softmax(torch::randn({2, 3, 7, 7}), -1).requires_grad_(true);  // (B, nh, T, S)
  auto val = torch::randn({2, 7, 3, 8}).requires_grad_(true);                     // (B, S, nh, hd)
  check_against_torch(
      {p, val}, [](const std::vector<torch::Tensor>& v) { return batched_matmul(v[0], v[1].transpose(1, 2), false); },
      [](const std::vector<torch::Tensor>& v) { return torch::matmul(v[0], v[1].transpose(1, 2)); });
}

TEST(CpuGemm, OneMatrixAndFrozenOperands) {
  torch::manual_seed(4);
  auto a = torch::randn({5, 4}).requires_grad_(true);
  auto b = torch::randn({4, 6});  // frozen
  check_against_torch(
      {a, b}, [](const std::vector<torch::Tensor>& v) { return batched_matmul(v[0], v[1], false); },
      [](const std::vector<torch::Tensor>& v) { return torch::matmul(v[0], v[1]); });
}

TEST(CpuGemm, OtherDtypesAndShapesFallBackToTorch) {
  torch::manual_seed(5);
  auto x = torch::randn({3, 8}).to(torch::kBFloat16).requires_grad_(true);
  auto w = torch::randn({4, 8}).to(torch::kBFloat16).requires_grad_(true);
  check_against_torch(
      {x, w}, [](const std::vector<torch::Tensor>& v) { return model::linear(v[0], v[1]); },
      [](const std::vector<torch::Tensor>& v) { return torch::nn::functional::linear(v[0], v[1]); });
  // Broadcast leading dims are not the fast path's: LibTorch's matmul takes them.
  auto a = torch::randn({2, 3, 4}).requires_grad_(true);
  auto b = torch::randn({1, 4, 5}).requires_grad_(true);
  check_against_torch(
      {a, b}, [](const std::vector<torch::Tensor>& v) { return batched_matmul(v[0], v[1], false); },
      [](const std::vector<torch::Tensor>& v) { return torch::matmul(v[0], v[1]); });
}

TEST(CpuGemm, NoGradModeBuildsNoGraph) {
  torch::NoGradGuard no_grad;
  auto x = torch::randn({2, 3}), w = torch::randn({4, 3}, torch::requires_grad());
  auto y = model::linear(x, w);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(torch::allclose(y, torch::matmul(x, w.t()), 1e-5, 1e-5));
}

}  // namespace
}  // namespace axolotl::model
