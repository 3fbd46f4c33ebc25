// eval_strategy through the real executable on the tiny model, read back from metrics.jsonl: epoch
// evaluates at each epoch end, steps (here by its deprecated spelling evaluation_strategy) every
// logging_steps when eval_steps is unset, no never, even with validation rows.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

class EvalStrategyE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny-model").string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // Trains with `extra`; returns the (step, epoch) of every eval line of metrics.jsonl.
  static std::vector<std::pair<int64_t, double>> evals(const std::string& name, const std::string& extra,
                                                       std::string* err = nullptr) {
    const fs::path out = dir_->path() / name;
    std::map<std::string, std::string> keys = {
        {"base_model", (dir_->path() / "tiny-model").string()},
        {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "128"}, {"micro_batch_size", "16"},
        {"gradient_accumulation_steps", "2"}, {"learning_rate", "0.001"}, {"bf16", "false"}, {"seed", "3"},
        {"val_set_size", "0.1"}, {"save_strategy", "'no'"}};
    const auto r = run_axolotl({"train", testing::write_alpaca_config(out, keys, extra).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err) *err = r.err;
    std::vector<std::pair<int64_t, double>> at;
    std::ifstream in(out / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("eval_loss")) at.emplace_back(j["step"].get<int64_t>(), j["epoch"].get<double>());
    }
    return at;
  }
  static testing::TempDir* dir_;
};
testing::TempDir* EvalStrategyE2E::dir_ = nullptr;

TEST_F(EvalStrategyE2E, EpochEvaluatesAtEachEpochEnd) {
  const auto at = evals("epoch", "eval_strategy: epoch\nnum_epochs: 2\n");
  ASSERT_EQ(at.size(), 2u);
  EXPECT_DOUBLE_EQ(at[0].second, 1.0);
  EXPECT_DOUBLE_EQ(at[1].second, 2.0);
  EXPECT_EQ(at[1].first, 2 * at[0].first);
}

TEST_F(EvalStrategyE2E, DeprecatedStepsSpellingFollowsLoggingSteps) {
  std::string err;
  const auto at = evals("steps", "evaluation_strategy: steps\nlogging_steps: 3\nmax_steps: 6\n", &err);
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(at[0].first, 3);
  EXPECT_EQ(at[1].first, 6);
  EXPECT_NE(err.find("evaluation_strategy"), std::string::npos) << err;
}

TEST_F(EvalStrategyE2E, NoNeverEvaluates) {
  EXPECT_TRUE(evals("no", "eval_strategy: 'no'\nmax_steps: 4\n").empty());
}

}  // namespace
}  // namespace axolotl::train
