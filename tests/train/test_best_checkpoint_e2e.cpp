// The best checkpoint as HF Trainer keeps it, through the real executable on the tiny model:
// save_strategy: best saves exactly at the evaluations that improve metric_for_best_model (in the
// direction greater_is_better says), and load_best_model_at_end leaves the best checkpoint's weights
// in the final output folder. Expectations come from the run's own metrics.jsonl, so the tests hold
// whichever way the losses move.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::read_file;
using testing::run_axolotl;

class BestCheckpointE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny-model").string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // Trains 6 steps with an evaluation after each; returns the output folder.
  static fs::path train(const std::string& name, const std::string& extra, std::string* err = nullptr) {
    const fs::path out = dir_->path() / name;
    std::map<std::string, std::string> keys = {
        {"base_model", (dir_->path() / "tiny-model").string()},
        {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "128"}, {"micro_batch_size", "8"},
        {"gradient_accumulation_steps", "1"}, {"learning_rate", "0.01"}, {"bf16", "false"}, {"seed", "3"},
        {"val_set_size", "0.1"}, {"eval_steps", "1"}, {"max_steps", "6"}, {"adapter", "lora"}, {"lora_r", "8"},
        {"lora_alpha", "16"}, {"lora_target_linear", "true"}};
    const auto r = run_axolotl({"train", testing::write_alpaca_config(out, keys, extra).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err) *err = r.err;
    return out;
  }

  // (step, eval_loss) of every evaluation in metrics.jsonl.
  static std::vector<std::pair<int64_t, double>> eval_losses(const fs::path& out) {
    std::vector<std::pair<int64_t, double>> at;
    std::ifstream in(out / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("eval_loss")) at.emplace_back(j["step"].get<int64_t>(), j["eval_loss"].get<double>());
    }
    return at;
  }

  // The steps where the loss beats every earlier one (lower, or higher when `greater`).
  static std::set<int64_t> improving_steps(const std::vector<std::pair<int64_t, double>>& evals, bool greater) {
    std::set<int64_t> steps;
    bool have = false;
    double best = 0.0;
    for (const auto& [step, loss] : evals) {
      if (!have || (greater ? loss > best : loss < best)) {
        best = loss;
        have = true;
        steps.insert(step);
      }
    }
    return steps;
  }

  static std::set<int64_t> checkpoint_steps(const fs::path& out) {
    std::set<int64_t> steps;
    for (const auto& e : fs::directory_iterator(out)) {
      const std::string n = e.path().filename().string();
      if (e.is_directory() && n.rfind("checkpoint-", 0) == 0) steps.insert(std::stoll(n.substr(11)));
    }
    return steps;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* BestCheckpointE2E::dir_ = nullptr;

TEST_F(BestCheckpointE2E, SaveStrategyBestSavesAtEachImprovingEvaluation) {
  for (const bool greater : {false, true}) {
    SCOPED_TRACE(greater ? "greater_is_better: true" : "greater_is_better: false");
    const fs::path out = train(greater ? "best-greater" : "best-lower",
                               std::string("save_strategy: best\nmetric_for_best_model: eval_loss\n") +
                                   "greater_is_better: " + (greater ? "true" : "false") + "\n");
    const auto evals = eval_losses(out);
    ASSERT_EQ(evals.size(), 6u);
    const std::set<int64_t> expected = improving_steps(evals, greater);
    EXPECT_EQ(checkpoint_steps(out), expected);
    const auto state = nlohmann::json::parse(read_file(out / "trainer_state.json"));
    EXPECT_EQ(state["best_global_step"].get<int64_t>(), *expected.rbegin());
    EXPECT_EQ(fs::path(state["best_model_checkpoint"].get<std::string>()).filename().string(),
              "checkpoint-" + std::to_string(*expected.rbegin()));
  }
}

// greater_is_better: true on eval_loss makes an early, worse step the "best" one, so the best
// checkpoint differs from the last step: the final weights are that checkpoint's with
// load_best_model_at_end, and the last step's without it.
TEST_F(BestCheckpointE2E, LoadBestModelAtEndWritesTheBestCheckpointsWeights) {
  const std::string common = "save_steps: 1\nmetric_for_best_model: loss\ngreater_is_better: true\n";
  std::string err;
  const fs::path out = train("load-best", common + "load_best_model_at_end: true\n", &err);
  const auto evals = eval_losses(out);
  ASSERT_EQ(evals.size(), 6u);
  const int64_t best = *improving_steps(evals, true).rbegin();
  if (best == 6) GTEST_SKIP() << "the eval loss rose to the last step: nothing to tell apart";
  const fs::path best_dir = out / ("checkpoint-" + std::to_string(best));
  const std::string final_weights = read_file(out / "adapter_model.safetensors");
  EXPECT_EQ(final_weights, read_file(best_dir / "adapter_model.safetensors"));
  EXPECT_NE(final_weights, read_file(out / "checkpoint-6" / "adapter_model.safetensors"));
  EXPECT_NE(err.find("loaded the best model from " + best_dir.string()), std::string::npos) << err;

  const fs::path plain = train("last-weights", common);
  EXPECT_EQ(read_file(plain / "adapter_model.safetensors"), read_file(plain / "checkpoint-6" / "adapter_model.safetensors"));
}

TEST_F(BestCheckpointE2E, UnknownMetricIsAConfigErrorBeforeTraining) {
  const fs::path out = dir_->path() / "typo";
  std::map<std::string, std::string> keys = {{"base_model", (dir_->path() / "tiny-model").string()},
                                             {"output_dir", out.string()}, {"val_set_size", "0.1"}};
  const auto r = run_axolotl({"train", testing::write_alpaca_config(out, keys, "metric_for_best_model: acc\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("metric_for_best_model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("loss, perplexity"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "checkpoint-1"));
}

}  // namespace
}  // namespace axolotl::train
