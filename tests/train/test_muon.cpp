// Muon (train/muon.h) against tests/reference/muon_reference.py (Axolotl's factory groups over dion's Muon,
// tests/assets/muon/golden.json): the groups, three steps of parameters with a changing rate and a skipped
// gradient, Newton-Schulz alone; the state round trip continues bit for bit; and through the executable,
// `optimizer: muon` trains a full fine-tune and a LoRA adapter, resumes exactly from a checkpoint, and
// 2 ranks of micro-batch 1 give 1 process of micro-batch 2's losses.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "axolotl/train/optimizer.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/util/error.h"
#include "logged_losses.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;

nlohmann::json golden() {
  return nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/muon/golden.json"));
}

torch::Tensor tensor_of(const nlohmann::json& values, const std::vector<int64_t>& shape) {
  return torch::tensor(values.get<std::vector<float>>()).view(shape);
}

struct Fixture {
  NamedParams named;
  MuonSettings settings;
};

Fixture from_golden(const nlohmann::json& g) {
  Fixture f;
  for (const auto& name : g["order"]) {  // the reference's parameter order (JSON objects sort their keys)
    const auto shape = g["shapes"][name.get<std::string>()].get<std::vector<int64_t>>();
    f.named.emplace_back(name, tensor_of(g["initial"][name.get<std::string>()], shape).clone());
  }
  const auto& s = g["settings"];
  f.settings.lr = s["lr"];
  f.settings.mu = s["mu"];
  f.settings.beta1 = s["beta1"];
  f.settings.beta2 = s["beta2"];
  f.settings.epsilon = s["epsilon"];
  f.settings.weight_decay = s["weight_decay"];
  return f;
}

void set_grads(const NamedParams& named, const nlohmann::json& grads) {
  for (const auto& [name, p] : named) {
    auto& g = p.mutable_grad();
    if (grads.contains(name)) g = tensor_of(grads[name], p.sizes().vec());
    else g = torch::Tensor();
  }
}

TEST(Muon, GroupsAndStepsMatchTheReference) {
  const auto g = golden();
  Fixture f = from_golden(g);
  ASSERT_EQ(f.named.size(), g["shapes"].size());
  Muon muon(f.named, f.settings, &takes_weight_decay);
  ASSERT_EQ(muon.groups().size(), g["groups"].size());
  for (size_t i = 0; i < muon.groups().size(); ++i) {
    EXPECT_EQ(muon.groups()[i].algorithm, g["groups"][i]["algorithm"]) << "group " << i;
    EXPECT_EQ(muon.groups()[i].names, g["groups"][i]["names"].get<std::vector<std::string>>()) << "group " << i;
    EXPECT_EQ(muon.groups()[i].weight_decay, g["groups"][i]["weight_decay"].get<double>()) << "group " << i;
  }
  int step = 0;
  for (const auto& s : g["steps"]) {
    ++step;
    set_grads(f.named, s["grads"]);
    muon.set_lr(s["lr"]);
    muon.step();
    for (const auto& [name, p] : f.named) {
      const torch::Tensor expected = tensor_of(s["params"][name], p.sizes().vec());
      EXPECT_LE((p - expected).abs().max().item<float>(), 1e-6) << name << " after step " << step << " (muon_reference.py)";
    }
  }
}

TEST(Muon, Bfloat16ParametersStepAsFloat32OnesWithinTheirPrecision) {
  // A bf16 full fine-tune keeps bf16 parameters and states (dion: zeros_like(param)).
  const auto g = golden();
  Fixture f = from_golden(g);
  NamedParams half;
  for (const auto& [n, p] : f.named) half.emplace_back(n, p.to(torch::kBFloat16));
  Muon muon(half, f.settings, &takes_weight_decay);
  const auto& s = g["steps"][0];
  for (const auto& [name, p] : half) p.mutable_grad() = tensor_of(s["grads"][name], p.sizes().vec()).to(torch::kBFloat16);
  muon.set_lr(s["lr"]);
  muon.step();
  for (const auto& [name, p] : half) {
    EXPECT_EQ(p.scalar_type(), torch::kBFloat16) << name;
    const torch::Tensor expected = tensor_of(s["params"][name], p.sizes().vec());
    EXPECT_LE((p.to(torch::kFloat) - expected).abs().max().item<float>(), 4e-3) << name;
  }
}

TEST(Muon, NewtonSchulzMatchesTheReference) {
  const auto ns = golden()["newton_schulz"];
  const torch::Tensor out = newton_schulz(tensor_of(ns["input"], {12, 8}), 1e-8);
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{12, 8}));
  EXPECT_TRUE(torch::equal(out.to(torch::kFloat), tensor_of(ns["output"], {12, 8})));
  // Nearly orthogonal columns: the singular values of the result sit near 1 (dion's constants leave ~0.7-1.2).
  const torch::Tensor sv = torch::linalg_svdvals(out.to(torch::kFloat));
  EXPECT_GT(sv.min().item<float>(), 0.5f);
  EXPECT_LT(sv.max().item<float>(), 1.3f);
}

TEST(Muon, StateRoundTripContinuesBitForBit) {
  const auto g = golden();
  Fixture a = from_golden(g), b = from_golden(g);
  Muon first(a.named, a.settings, &takes_weight_decay);
  set_grads(a.named, g["steps"][0]["grads"]);
  first.step();
  testing::TempDir tmp;
  const std::string path = (tmp.path() / "optimizer.pt").string();
  write_torch_pickle(path, first.state_dict(first.lr(), a.settings.lr));
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < a.named.size(); ++i) b.named[i].second.copy_(a.named[i].second);
  }
  Muon second(b.named, b.settings, &takes_weight_decay);
  second.load_state_dict(read_torch_pickle(path, "test"), path);
  for (Muon* m : {&first, &second}) m->set_lr(0.01);
  set_grads(a.named, g["steps"][2]["grads"]);
  set_grads(b.named, g["steps"][2]["grads"]);
  first.step();
  second.step();
  for (size_t i = 0; i < a.named.size(); ++i)
    EXPECT_TRUE(torch::equal(a.named[i].second, b.named[i].second)) << a.named[i].first;
  EXPECT_EQ(second.groups().front().step, 2);
  // Another run's parameters do not fit: named, and nothing changes.
  NamedParams other = {{"model.layers.0.self_attn.q_proj.weight", torch::zeros({4, 4})}};
  Muon wrong(other, b.settings, &takes_weight_decay);
  EXPECT_THROW(wrong.load_state_dict(read_torch_pickle(path, "test"), path), IoError);
}

class MuonE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = testing::run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny").string(), "--corpus",
                                         (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path config(const fs::path& out, const std::string& extra) {
    return testing::write_alpaca_config(
        out, {{"base_model", (dir_->path() / "tiny").string()}, {"output_dir", out.string()}, {"sequence_len", "128"},
              {"micro_batch_size", "2"}, {"max_steps", "4"}, {"learning_rate", "0.02"}, {"bf16", "false"},
              {"seed", "3"}, {"logging_steps", "1"}, {"save_steps", "2"}, {"optimizer", "muon"},
              {"weight_decay", "0.01"}},
        extra);
  }
  static std::vector<double> losses(const fs::path& out) { return testing_support::logged_losses(out); }
  static testing::TempDir* dir_;
};
testing::TempDir* MuonE2E::dir_ = nullptr;

TEST_F(MuonE2E, FullFineTuningResumesExactlyAndLoraTrains) {
  const fs::path a = dir_->path() / "full";
  auto r = testing::run_axolotl({"train", config(a, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto la = losses(a);
  ASSERT_EQ(la.size(), 4u);
  EXPECT_LT(la[3], la[0]) << "Muon lowers the loss";
  const fs::path b = dir_->path() / "resumed";
  fs::create_directories(b);
  fs::copy(a / "checkpoint-2", b / "checkpoint-2", fs::copy_options::recursive);
  r = testing::run_axolotl({"train", config(b, "auto_resume_from_checkpoints: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lb = losses(b);
  ASSERT_EQ(lb.size(), 2u);
  EXPECT_EQ(la[2], lb[0]);
  EXPECT_EQ(la[3], lb[1]);
  EXPECT_EQ(testing::read_file(a / "model.safetensors"), testing::read_file(b / "model.safetensors"));

  const fs::path l = dir_->path() / "lora";
  r = testing::run_axolotl({"train", config(l, "adapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_target_linear: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ll = losses(l);
  ASSERT_EQ(ll.size(), 4u);
  EXPECT_NE(ll[3], ll[0]);
}

TEST_F(MuonE2E, TwoRanksMatchOneProcess) {
  // Every rank steps on the all-reduced gradient; the sums over ranks round like one process's sums
  // only to float32 precision, and bf16 Newton-Schulz can turn that into bf16-sized differences.
  const fs::path one = dir_->path() / "one", two = dir_->path() / "two";
  auto r = testing::run_axolotl({"train", config(one, "save_steps: 0\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_axolotl({"train", config(two, "micro_batch_size: 1\nsave_steps: 0\n").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = losses(one), b = losses(two);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_NEAR(a[0], b[0], 1e-5) << "the same first step";
  for (size_t i = 1; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 2e-3 * std::abs(a[i])) << "step " << i + 1;
}

}  // namespace
}  // namespace axolotl::train
