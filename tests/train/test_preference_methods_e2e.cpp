// Each preference method other than DPO (whose tests are in test_preference_e2e.cpp) through the real
// executable: a run resumed from its checkpoint repeats the straight run bit for bit (IPO, ORPO, SimPO,
// KTO: every logged number and the final adapter file), and 2 ranks give 1 process's numbers (IPO,
// ORPO, SimPO). IPO's 1-process run takes micro-batches of 4 pairs (its token metrics weigh tokens over
// the ranks); ORPO's and SimPO's 2 micro-batches of 2 pairs per step, as the 2 ranks do: their NLL is a
// token mean per micro-batch (TRL, also on each rank), so 1 micro-batch of 4 pairs is a different loss
// unless every row has the same length.
#include <cmath>

#include "preference_fixture.h"

namespace axolotl::train {
namespace {
using testing::run_axolotl;

struct Method {
  const char* name;
  const char* keys;     // the method's config lines
  bool argilla = false; // ORPO: its chat_template.argilla rows
  bool kto = false;     // KTO: unpaired rows
  const char* one_process = "micro_batch_size: 2\ngradient_accumulation_steps: 2";  // the 1-process twin of 2 ranks × 2
};

const Method kMethods[] = {
    {"ipo", "rl: ipo\nrl_beta: 0.5", false, false, "micro_batch_size: 4"},
    {"orpo", "rl: orpo\norpo_alpha: 0.1\nchat_template: chatml", true},
    {"simpo", "rl: simpo\nrl_beta: 2.0\nsimpo_gamma: 0.5\ncpo_alpha: 0.5"},
    {"kto", "rl: kto\nrl_beta: 0.5\nkto_undesirable_weight: 1.5", false, true},
};

class PreferenceMethodE2E : public PreferenceE2E, public ::testing::WithParamInterface<Method> {
 protected:
  static std::string dataset(const Method& m) {
    if (m.argilla) return "datasets:\n  - path: " + argilla_file().string() + "\n    type: chat_template.argilla\n";
    if (m.kto) return "datasets:\n  - path: " + kto_file().string() + "\n    type: chatml.argilla\n";
    return "";
  }
  static fs::path run_config(const Method& m, const fs::path& out, const std::string& extra) {
    return config(out, std::string(m.keys) + "\n" + extra, dataset(m));
  }
};

std::string name_of(const ::testing::TestParamInfo<Method>& info) { return info.param.name; }

// The straight run saves checkpoint-2 on its way to step 4; a copy of that checkpoint resumed in
// another folder must log the same steps 3 and 4 and write the same adapter.
TEST_P(PreferenceMethodE2E, ResumedRunRepeatsTheStraightOneBitwise) {
  const Method& m = GetParam();
  const fs::path straight = dir_->path() / (std::string("resume-straight-") + m.name);
  const fs::path resumed = dir_->path() / (std::string("resume-from2-") + m.name);
  auto r = run_axolotl({"train", run_config(m, straight, "max_steps: 4\nsave_steps: 2\nlearning_rate: 0.01").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(resumed);
  fs::copy(straight / "checkpoint-2", resumed / "checkpoint-2", fs::copy_options::recursive);
  r = run_axolotl({"train", run_config(m, resumed, "max_steps: 4\nsave_steps: 2\nlearning_rate: 0.01\n"
                                                   "resume_from_checkpoint: " + (resumed / "checkpoint-2").string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(straight), b = train_records(resumed);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NE(a[2]["loss"].get<double>(), a[3]["loss"].get<double>()) << "the adapter did not move";
  size_t compared = 0;
  for (size_t i = 0; i < 2; ++i) {
    for (const auto& [k, v] : a[2 + i].items()) {
      if (k == "tokens_per_second" || !v.is_number()) continue;
      ASSERT_TRUE(b[i].contains(k)) << "step " << 3 + i << " " << k;
      EXPECT_EQ(v.get<double>(), b[i][k].get<double>()) << "step " << 3 + i << " " << k;
      ++compared;
    }
  }
  EXPECT_GE(compared, 2u * 10) << "loss, learning_rate, grad_norm and the method's metrics";
  const std::string adapter_a = testing::read_file(straight / "adapter_model.safetensors");
  EXPECT_FALSE(adapter_a.empty());
  EXPECT_TRUE(adapter_a == testing::read_file(resumed / "adapter_model.safetensors")) << "final adapters differ";
}

// 2 ranks × 2 pairs (Gloo, fp32) against 1 process (Method::one_process), in the first epoch.
TEST_P(PreferenceMethodE2E, TwoRanksMatchOneProcess) {
  const Method& m = GetParam();
  if (m.kto) GTEST_SKIP() << "KTO: test_preference_e2e.cpp KtoTwoRanksMatchOneProcess";
  const fs::path one = dir_->path() / (std::string("ddp-one-") + m.name), two = dir_->path() / (std::string("ddp-two-") + m.name);
  auto r = run_axolotl({"train", run_config(m, one, std::string("max_steps: 3\n") + m.one_process).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", run_config(m, two, "max_steps: 3\nmicro_batch_size: 2").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(one), b = train_records(two);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[0]["tokens"], b[0]["tokens"]) << "the same rows";
  size_t compared = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (const auto& [k, v] : a[i].items()) {
      if (k == "tokens_per_second" || !v.is_number()) continue;
      ASSERT_TRUE(b[i].contains(k)) << "step " << i + 1 << " " << k;
      const double x = v.get<double>();
      EXPECT_NEAR(x, b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(x))) << "step " << i + 1 << " " << k;
      ++compared;
    }
  }
  EXPECT_GE(compared, 3u * 10);
}

INSTANTIATE_TEST_SUITE_P(Methods, PreferenceMethodE2E, ::testing::ValuesIn(kMethods), name_of);

}  // namespace
}  // namespace axolotl::train
