// Soak (label slow): a training run stopped again and again at random moments, by SIGTERM (graceful
// save) and by SIGKILL (no warning), and restarted with auto_resume_from_checkpoints each time, ends
// with the adapter of one uninterrupted run, bit for bit.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

// Starts `axolotl train cfg` and returns its pid (output discarded).
pid_t start_training(const fs::path& cfg) {
  const std::string bin = std::getenv("AXOLOTL_BIN");
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(bin.c_str(), bin.c_str(), "train", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST(TrainSoak, InterruptedAndResumedRunEqualsTheUninterruptedOne) {
  testing::TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir / "tiny-model").string(), "--corpus",
                        (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto config = [&](const fs::path& out) {
    std::map<std::string, std::string> keys = {
        {"base_model", (dir / "tiny-model").string()}, {"dataset_prepared_path", (dir / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
        {"lora_alpha", "8"}, {"lora_dropout", "0.1"}, {"lora_target_linear", "true"}, {"micro_batch_size", "2"},
        {"learning_rate", "0.001"}, {"max_steps", "120"}, {"save_steps", "3"}, {"bf16", "false"}, {"seed", "11"},
        {"logging_steps", "1"}, {"auto_resume_from_checkpoints", "true"}};
    return testing::write_alpaca_config(out, keys, "");
  };
  const fs::path straight = dir / "straight";
  r = run_axolotl({"train", config(straight).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const fs::path soaked = dir / "soaked";
  const fs::path cfg = config(soaked);
  std::mt19937 rng(20261201);
  int terms = 0, kills = 0;
  for (int round = 0; round < 40; ++round) {
    const pid_t pid = start_training(cfg);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(800, 3500)(rng)));
    const bool term = round % 2 == 0;
    kill(pid, term ? SIGTERM : SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;  // finished before the signal
    (term ? terms : kills)++;
    if (WIFEXITED(status)) ASSERT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << "round " << round;
  }
  r = run_axolotl({"train", cfg.string()});  // whatever is left, uninterrupted
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(terms + kills, 4) << "too few interruptions to mean anything";
  EXPECT_EQ(testing::read_file(straight / "adapter_model.safetensors"),
            testing::read_file(soaked / "adapter_model.safetensors"))
      << terms << " SIGTERM and " << kills << " SIGKILL interruptions";
}

}  // namespace
}  // namespace axolotl::train
