// CUDA checks (label gpu): greedy generation on the GPU equals the CPU's, and a few LoRA training
// steps run there and report their speed. Skips cleanly where LibTorch or the machine has no CUDA.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <fstream>
#include <string>

#include "test_support.h"

namespace axolotl::testing {
namespace {

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (LibTorch CUDA build and a GPU needed)";
    const auto r = run_axolotl({"create-tiny", "--output", (dir_ / "model").string(), "--corpus",
                                (source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string config(const std::string& device, const std::string& precision = "float32: true") {
    const auto path = dir_ / ("gpu-" + device + ".yml");
    write_file(path, "base_model: " + (dir_ / "model").string() + "\ndevice: " + device +
                         "\n" + precision + "\nadapter: lora\nlora_r: 8\nlora_alpha: 16\nlora_target_linear: true\n"
                         "datasets:\n  - path: " + (source_dir() / "examples/tiny/data.jsonl").string() +
                         "\n    type: alpaca\nsequence_len: 256\nmicro_batch_size: 8\nmax_steps: 5\n"
                         "logging_steps: 1\noutput_dir: " + (dir_ / ("out-" + device)).string() +
                         "\ndataset_prepared_path: " + (dir_ / "prepared").string() + "\n");
    return path.string();
  }

  TempDir dir_;
};

TEST_F(Gpu, GreedyGenerationMatchesCpu) {
  const std::vector<std::string> args = {"--prompt", "Once upon a time", "--max-new-tokens", "16"};
  auto on = [&](const std::string& device) {
    std::vector<std::string> a = {"inference", config(device)};
    a.insert(a.end(), args.begin(), args.end());
    return run_axolotl(a);
  };
  const auto cpu = on("cpu");
  const auto cuda = on("cuda");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  ASSERT_EQ(cuda.exit_code, 0) << cuda.err;
  EXPECT_EQ(cuda.out, cpu.out);
}

TEST_F(Gpu, TrainsAFewStepsAndReportsSpeed) {
  const auto r = run_axolotl({"train", config("cuda", "bf16: true")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream metrics(dir_ / "out-cuda" / "metrics.jsonl");
  std::string line, last;
  int lines = 0;
  while (std::getline(metrics, line)) {
    if (line.find("\"loss\"") != std::string::npos) ++lines, last = line;
  }
  EXPECT_EQ(lines, 5);
  std::cout << "[gpu] last metrics line: " << last << "\n";
}

}  // namespace
}  // namespace axolotl::testing
