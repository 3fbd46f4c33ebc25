// The end-of-training summary: losses first/last/best, speed, outputs, checkpoints.
#include <gtest/gtest.h>

#include "axolotl/train/run_summary.h"

namespace axolotl::train {

TEST(RunSummary, ReportsLossesSpeedAndOutputs) {
  RunSummary s;
  s.steps = 20;
  s.epochs = 2.0;
  s.seconds = 10.0;
  s.tokens = 5000;
  s.mean_train_loss = 4.0;
  s.train = {{1, 6.0}, {10, 3.5}, {20, 2.5}};
  s.eval = {{10, 3.0}, {20, 3.2}};
  s.output_dir = "out";
  s.checkpoints = {"checkpoint-10", "checkpoint-20"};
  const auto lines = summary_lines(s);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_NE(lines[0].find("20 steps (2.00 epochs)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("500 tokens/s"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("6.0000 (step 1) -> 2.5000 (step 20), best 2.5000 at step 20, mean 4.0000"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("best 3.0000 at step 10, perplexity 20.09"), std::string::npos) << lines[2];
  EXPECT_NE(lines[4].find("checkpoint-10, checkpoint-20"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("axolotl merge"), std::string::npos) << lines[5];
}

TEST(RunSummary, NoEvaluationSaysNone) {
  RunSummary s;
  s.train = {{1, 1.0}};
  EXPECT_NE(summary_lines(s)[2].find("none"), std::string::npos);
}

}  // namespace axolotl::train
