// Progress off a terminal (a pipe, as in CI): one "[train] step N/T" line per logging_steps and one
// for the last step, however fast or slow the steps are (not on a timer).
#include <gtest/gtest.h>

#include <regex>

#include "test_support.h"

namespace axolotl::testing {
namespace {

TEST(Progress, OffATerminalOneLinePerLoggingStep) {
  TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir / "tiny-model").string(), "--corpus",
                        (source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = dir / "out";
  const auto cfg = write_alpaca_config(
      out,
      {{"base_model", (dir / "tiny-model").string()}, {"dataset_prepared_path", (dir / "prepared").string()},
       {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
       {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "2"}, {"learning_rate", "0.001"},
       {"max_steps", "5"}, {"logging_steps", "2"}, {"save_steps", "100"}, {"bf16", "false"}, {"seed", "3"}},
      "");
  r = run_axolotl({"train", cfg.string()});  // stderr is a pipe here
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::regex line(R"(\[train\] step ([0-9]+)/5 \|)");
  std::vector<std::string> steps;
  for (auto it = std::sregex_iterator(r.err.begin(), r.err.end(), line); it != std::sregex_iterator(); ++it) {
    steps.push_back((*it)[1]);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"2", "4", "5"})) << r.err;
  EXPECT_EQ(r.err.find("\r"), std::string::npos) << "no status line redrawn off a terminal";
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << "no colour off a terminal";
}

}  // namespace
}  // namespace axolotl::testing
