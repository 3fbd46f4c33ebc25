// The loss watchdog through the real executable on the tiny model: a loss over
// loss_watchdog_threshold for loss_watchdog_patience steps stops the run gracefully, as Axolotl's
// LossWatchDogCallback does: exit 0, a checkpoint of the stopping step, the final adapter and a
// trainer state that says the run stopped early.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "axolotl/train/checkpoint.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/trainer_state.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

TEST(LossWatchdogE2E, ThresholdStopsGracefullyAndSaves) {
  testing::TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir.path() / "tiny").string(), "--corpus",
                        (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir.path() / "run";
  // The tiny model's loss starts near ln(vocab) ≈ 6, far above 0.5: patience 2 stops after step 2.
  const auto cfg = testing::write_alpaca_config(
      out,
      {{"base_model", (dir.path() / "tiny").string()}, {"dataset_prepared_path", (dir.path() / "prepared").string()},
       {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
       {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"}, {"bf16", "false"},
       {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "8"}, {"save_steps", "100"},
       {"loss_watchdog_threshold", "0.5"}, {"loss_watchdog_patience", "2"}},
      "");
  r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("loss watchdog"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("loss_watchdog_threshold"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "checkpoint-2"));
  EXPECT_EQ(verify_checkpoint((out / "checkpoint-2").string()), "");
  EXPECT_FALSE(fs::exists(out / "checkpoint-3"));
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));
  EXPECT_EQ(read_trainer_state((out / "trainer_state.json").string()).global_step, 2);
  int losses = 0;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string())) losses += j.contains("loss") ? 1 : 0;
  EXPECT_EQ(losses, 2);
}

}  // namespace
}  // namespace axolotl::train
