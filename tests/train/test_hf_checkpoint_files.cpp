// optimizer.pt / scheduler.pt / rng_state.pth against PyTorch itself: this test writes them with our
// code after 3 AdamW steps, tests/reference/hf_checkpoint_reference.py loads them as HF Trainer does
// (state_dict keys, shapes and values against torch.optim's own; a 4th step from the loaded state
// reaches our 4th step), then writes Trainer's own files, which we read back (the other direction).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "axolotl/train/lr_scheduler.h"
#include "axolotl/train/optimizer.h"
#include "axolotl/train/rng_state.h"
#include "axolotl/train/scheduler_state.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;

constexpr int64_t kSteps = 3;

config::TrainingConfig adamw() {
  config::TrainingConfig cfg;
  cfg.optimizer = config::Optimizer::kAdamW;
  cfg.learning_rate = 0.01;
  cfg.weight_decay = 0.1;
  cfg.adam_beta1 = 0.9;
  cfg.adam_beta2 = 0.99;
  cfg.adam_epsilon = 1e-8;
  return cfg;
}

// The reference's parameters, two per group (decay: w (4, 3), v (2, 3); none: the norms).
NamedParams initial_params() {
  torch::Tensor w = (torch::arange(12, torch::kFloat32).reshape({4, 3}) / 10.0 - 0.5).requires_grad_();
  torch::Tensor v = (torch::arange(6, torch::kFloat32).reshape({2, 3}) / 5.0 - 0.3).requires_grad_();
  torch::Tensor n = torch::full({3}, 0.5, torch::kFloat32).requires_grad_();
  torch::Tensor q = torch::full({2}, -0.25, torch::kFloat32).requires_grad_();
  return {{"w", w}, {"v", v}, {"norm.weight", n}, {"q_norm.weight", q}};
}

NamedParams copy_of(const NamedParams& params) {
  NamedParams out;
  for (const auto& [name, p] : params) out.emplace_back(name, p.detach().clone().requires_grad_());
  return out;
}

bool all_close(const NamedParams& a, const NamedParams& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::allclose(a[i].second, b[i].second, 1e-5, 1e-6)) return false;
  return true;
}

bool all_equal(const NamedParams& a, const NamedParams& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i].second, b[i].second)) return false;
  return true;
}

void set_grads(const NamedParams& params, int64_t k) {
  for (const auto& [name, p] : params) p.mutable_grad() = (p.detach() * 0.5 + 0.1 * static_cast<double>(k)).clone();
}

nlohmann::json to_json(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  if (c.dim() == 1) return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t i = 0; i < c.size(0); ++i) rows.push_back(to_json(c[i]));
  return rows;
}

torch::Tensor from_json(const nlohmann::json& j) {
  std::vector<float> flat;
  std::vector<int64_t> shape{static_cast<int64_t>(j.size())};
  if (j.at(0).is_array()) shape.push_back(static_cast<int64_t>(j.at(0).size()));
  for (const auto& row : j) {
    if (row.is_array()) {
      for (const auto& v : row) flat.push_back(v.get<float>());
    } else {
      flat.push_back(row.get<float>());
    }
  }
  return torch::tensor(flat).reshape(shape);
}

void write_params(const fs::path& file, const NamedParams& params) {
  nlohmann::json j;
  for (const auto& [name, p] : params) j[name] = to_json(p);
  testing::write_file(file, j.dump());
}

TEST(HfCheckpointFiles, TorchAndTrainerReadOursAndWeReadTheirs) {
  if (testing::python().empty()) GTEST_SKIP() << "no python3 with torch";
  testing::TempDir dir;
  const LrScheduler sched(config::Scheduler::kLinear, 0.01, 1, 10);
  NamedParams params = initial_params();
  Optimizer opt(adamw(), params);
  for (int64_t k = 0; k < kSteps; ++k) {
    set_grads(params, k);
    opt.set_lr(sched.lr(k));
    opt.step();
  }
  opt.save((dir / "optimizer.pt").string(), sched.lr(kSteps));
  write_torch_pickle((dir / "scheduler.pt").string(), lambda_lr_state_dict(kSteps, 0.01, sched.lr(kSteps), opt.group_count()));
  torch::manual_seed(123);
  torch::randn({3});
  save_rng_state((dir / "rng_state.pth").string(), 42);
  write_params(dir / "params_after_3.json", params);
  set_grads(params, kSteps);
  opt.set_lr(sched.lr(kSteps));
  opt.step();
  write_params(dir / "params_after_4.json", params);

  const auto script = testing::source_dir() / "tests" / "reference" / "hf_checkpoint_reference.py";
  const std::string cmd = testing::python() + " " + script.string() + " " + dir.path().string() + " > " +
                          (dir / "log.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::read_file(dir / "log.txt");

  // Trainer's optimizer.pt (torch.save of AdamW.state_dict()) continues our optimizer as its own does.
  const auto expected = nlohmann::json::parse(testing::read_file(dir / "py_expected.json"));
  NamedParams theirs;
  for (const auto& [name, p] : params) theirs.emplace_back(name, from_json(expected["after_3"][name]).requires_grad_());
  Optimizer resumed(adamw(), theirs);
  resumed.load((dir / "py_optimizer.pt").string());
  EXPECT_NEAR(resumed.lr(), sched.lr(kSteps), 1e-12);
  set_grads(theirs, kSteps);
  resumed.step();
  EXPECT_TRUE(all_close(theirs, params));
  // Their scheduler.pt is the same dict as ours.
  const PickleDict s = as_pickle_dict(read_torch_pickle((dir / "py_scheduler.pt").string(), "scheduler"), "", "");
  EXPECT_EQ(s.number("last_epoch"), static_cast<double>(kSteps));
  // Their rng_state.pth holds numpy arrays, which LibTorch's unpickler cannot build: a clear IoError.
  try {
    load_rng_state((dir / "py_rng_state.pth").string());
    ADD_FAILURE() << "Trainer's rng_state.pth loaded";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("py_rng_state.pth"), std::string::npos) << e.what();
  }
}

TEST(HfCheckpointFiles, OptimizerOfOtherParametersIsRefusedByName) {
  testing::TempDir dir;
  NamedParams params = initial_params();
  Optimizer opt(adamw(), params);
  set_grads(params, 0);
  opt.step();
  opt.save((dir / "optimizer.pt").string());
  NamedParams other = copy_of(params);
  other[0].second = torch::zeros({4, 2}).requires_grad_();
  Optimizer wrong(adamw(), other);
  try {
    wrong.load((dir / "optimizer.pt").string());
    ADD_FAILURE() << "loaded";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exp_avg"), std::string::npos) << what;
    EXPECT_NE(what.find("(4, 3)"), std::string::npos) << what;
  }
  NamedParams one = {{"w", torch::zeros({4, 3}).requires_grad_()}};
  Optimizer fewer(adamw(), one);
  EXPECT_THROW(fewer.load((dir / "optimizer.pt").string()), IoError);
}

TEST(HfCheckpointFiles, OptimizerArchiveOfAnOlderCheckpointStillLoads) {
  testing::TempDir dir;
  // What Optimizer::save wrote before the pickle layout: torch::save of the LibTorch AdamW, two groups.
  NamedParams a = initial_params();
  const config::TrainingConfig cfg = adamw();
  auto opts = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(cfg.learning_rate).betas({cfg.adam_beta1, cfg.adam_beta2}).eps(cfg.adam_epsilon).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{a[0].second, a[1].second}, opts(cfg.weight_decay));
  groups.emplace_back(std::vector<torch::Tensor>{a[2].second, a[3].second}, opts(0.0));
  torch::optim::AdamW legacy(groups, torch::optim::AdamWOptions(cfg.learning_rate));
  for (int64_t k = 0; k < 2; ++k) {
    set_grads(a, k);
    legacy.step();
  }
  torch::save(legacy, (dir / "optimizer.pt").string());
  NamedParams c = copy_of(a);
  Optimizer resumed(cfg, c);
  resumed.load((dir / "optimizer.pt").string());
  set_grads(a, 2);
  legacy.step();
  set_grads(c, 2);
  resumed.step();
  EXPECT_TRUE(all_equal(a, c));
  testing::write_file(dir / "garbage.pt", "neither");
  EXPECT_THROW(resumed.load((dir / "garbage.pt").string()), IoError);
}

}  // namespace
}  // namespace axolotl::train
