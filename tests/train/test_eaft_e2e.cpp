// EAFT (use_eaft, Axolotl's examples/eaft) through the real executable on the tiny model: the logged
// training and eval losses of a weighted run differ from the plain run's from the first step, and
// eaft_alpha 0 (every weight H^0 = 1) gives the plain run's losses back. The weights themselves are
// checked against Axolotl's eaft_loss in test_cross_entropy.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "logged_values.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;
using testing_support::logged_values;


struct Outcome {
  std::vector<double> loss, eval_loss;
  std::string log;
};

Outcome train(const fs::path& root, const std::string& name, std::map<std::string, std::string> extra) {
  const fs::path out = root / name;
  std::map<std::string, std::string> keys = {
      {"base_model", (root / "tiny").string()}, {"dataset_prepared_path", (root / "prepared").string()},
      {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
      {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "2"}, {"bf16", "false"},
      {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "2"}, {"val_set_size", "0.2"}, {"eval_steps", "2"},
      {"learning_rate", "0.001"}};
  for (auto& [k, v] : extra) keys[k] = v;
  auto r = run_axolotl({"train", testing::write_alpaca_config(out, keys, "").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {logged_values(out, "loss"), logged_values(out, "eval_loss"), r.err};
}

TEST(EaftE2E, WeightedLossDiffersAndAlphaZeroIsThePlainLoss) {
  testing::TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir.path() / "tiny").string(), "--corpus",
                        (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Outcome plain = train(dir.path(), "plain", {});
  const Outcome eaft = train(dir.path(), "eaft", {{"use_eaft", "true"}, {"eaft_alpha", "1.0"}, {"eaft_k", "20"}});
  const Outcome flat = train(dir.path(), "flat", {{"use_eaft", "true"}, {"eaft_alpha", "0"}, {"eaft_k", "20"}});
  ASSERT_EQ(plain.loss.size(), 2u) << plain.log;
  ASSERT_EQ(eaft.loss.size(), 2u) << eaft.log;
  ASSERT_EQ(flat.loss.size(), 2u) << flat.log;
  ASSERT_EQ(plain.eval_loss.size(), 1u) << plain.log;
  ASSERT_EQ(eaft.eval_loss.size(), 1u) << eaft.log;
  // The tiny model's top-20 entropy is near ln 20 ≈ 3: the weighted loss is several times the plain one.
  EXPECT_GT(std::abs(eaft.loss[0] - plain.loss[0]), 0.1 * plain.loss[0]) << eaft.loss[0] << " vs " << plain.loss[0];
  EXPECT_GT(std::abs(eaft.eval_loss[0] - plain.eval_loss[0]), 0.1 * plain.eval_loss[0]);
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(flat.loss[i], plain.loss[i], 1e-5 * plain.loss[i]) << "step " << i + 1;
  EXPECT_EQ(eaft.log.find("use_eaft"), std::string::npos) << "no warning for an implemented key\n" << eaft.log;
}

}  // namespace
}  // namespace axolotl::train
