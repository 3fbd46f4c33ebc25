// Fault injection through the real executable: a full disk (AXOLOTL_FAIL_WRITES, and a file-size
// limit as `prlimit --fsize` sets it) while writing the prepared cache, a checkpoint, metrics.jsonl
// or TensorBoard events is an IoError naming the file and the OS reason, with nothing half-written
// left behind; the run names its last good checkpoint and resumes once space returns. Also: one run
// per output folder, and unfinished checkpoint folders of a dead run are cleaned at start-up.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "axolotl/io/folder_lock.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

// Sets an environment variable for the children started in this scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

// Limits the size of files this process and its children write (RLIMIT_FSIZE, as prlimit --fsize).
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit l = old_;
    l.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &l);
  }
  ~ScopedFileSizeLimit() { setrlimit(RLIMIT_FSIZE, &old_); }

 private:
  rlimit old_{};
};

// Every path under `dir` that looks like a temporary or unfinished file.
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp") != std::string::npos) v.push_back(it->path().string());
  }
  return v;
}

class TrainFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny-model").string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // LoRA on the bundled alpaca rows, 4 steps, a checkpoint every 2; its own prepared folder.
  static fs::path config(const fs::path& out, const std::string& extra = "") {
    std::map<std::string, std::string> keys = {
        {"base_model", (dir_->path() / "tiny-model").string()},
        {"dataset_prepared_path", out.string() + "-prepared"}, {"output_dir", out.string()},
        {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"}, {"lora_alpha", "8"},
        {"lora_target_linear", "true"}, {"micro_batch_size", "2"}, {"learning_rate", "0.001"},
        {"max_steps", "4"}, {"save_steps", "2"}, {"bf16", "false"}, {"seed", "3"}, {"logging_steps", "1"}};
    return testing::write_alpaca_config(out, std::move(keys), extra);
  }

  static testing::TempDir* dir_;
};
testing::TempDir* TrainFaults::dir_ = nullptr;

TEST_F(TrainFaults, FullDiskAtTheFirstCheckpointIsNamedAndLeavesNothing) {
  const fs::path out = dir_->path() / "disk-first";
  testing::RunResult r;
  {
    ScopedEnv fail("AXOLOTL_FAIL_WRITES", "optimizer.pt");
    r = run_axolotl({"train", config(out).string()});
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("optimizer.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no earlier checkpoint"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "checkpoint-2"));
  EXPECT_TRUE(leftovers(out).empty()) << leftovers(out).front();
}

TEST_F(TrainFaults, FullDiskAtALaterCheckpointNamesTheLastGoodOneAndResumes) {
  const fs::path out = dir_->path() / "disk-later";
  testing::RunResult r;
  {
    ScopedEnv fail("AXOLOTL_FAIL_WRITES", "checkpoint-4.tmp");
    r = run_axolotl({"train", config(out).string()});
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find((out / "checkpoint-2").string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "checkpoint-2" / "checkpoint_manifest.json"));
  EXPECT_FALSE(fs::exists(out / "checkpoint-4"));
  EXPECT_TRUE(leftovers(out).empty()) << leftovers(out).front();
  // Space is back: the run resumes from checkpoint-2 and finishes.
  r = run_axolotl({"train", config(out, "auto_resume_from_checkpoints: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("checkpoint-2"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "checkpoint-4" / "checkpoint_manifest.json"));
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));
}

TEST_F(TrainFaults, MetricsAndTensorBoardWriteErrorsAreIoErrors) {
  for (const std::string needle : {"metrics.jsonl@200", "tfevents"}) {
    const fs::path out = dir_->path() / ("logs-" + std::to_string(needle.size()));
    testing::RunResult r;
    {
      ScopedEnv fail("AXOLOTL_FAIL_WRITES", needle);
      r = run_axolotl({"train", config(out, "use_tensorboard: true\n").string()});
    }
    EXPECT_EQ(r.exit_code, 1) << needle << "\n" << r.err;
    EXPECT_NE(r.err.find(needle.substr(0, needle.find('@'))), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  }
}

TEST_F(TrainFaults, FileSizeLimitIsAnIoErrorNotASignal) {
  const fs::path out = dir_->path() / "fsize";
  const fs::path cfg = config(out);
  testing::RunResult r;
  {
    ScopedFileSizeLimit limit(2048);  // every file above 2 KiB fails with EFBIG
    r = run_axolotl({"train", cfg.string()});
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_TRUE(leftovers(out).empty()) << leftovers(out).front();
  EXPECT_TRUE(leftovers(out.string() + "-prepared").empty()) << leftovers(out.string() + "-prepared").front();
}

TEST_F(TrainFaults, SecondRunOnTheSameOutputFolderIsRefused) {
  const fs::path out = dir_->path() / "locked";
  io::FolderLock held(out.string(), "test");  // this process plays the first run
  const auto r = run_axolotl({"train", config(out).string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("another run is using this folder"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pid " + std::to_string(getpid())), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "metrics.jsonl"));
}

TEST_F(TrainFaults, UnfinishedCheckpointOfADeadRunIsRemovedAtStart) {
  const fs::path out = dir_->path() / "stale";
  fs::create_directories(out / ".checkpoint-2.tmp-999999");
  testing::write_file(out / ".checkpoint-2.tmp-999999" / "optimizer.pt", "half");
  const auto r = run_axolotl({"train", config(out, "max_steps: 2\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out / ".checkpoint-2.tmp-999999"));
  EXPECT_TRUE(fs::exists(out / "checkpoint-2" / "checkpoint_manifest.json"));
}

// The same hook covers merge and export: a full disk leaves no output folder or file behind.
TEST_F(TrainFaults, FullDiskDuringMergeAndExportLeavesNothing) {
  const fs::path out = dir_->path() / "merge-export";
  const fs::path cfg = config(out, "max_steps: 2\n");
  auto r = run_axolotl({"train", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    ScopedEnv fail("AXOLOTL_FAIL_WRITES", "merged");  // its temporary folder .merged.tmp-PID
    r = run_axolotl({"merge", cfg.string(), "--output", (out / "merged").string()});
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "merged"));
  {
    ScopedEnv fail("AXOLOTL_FAIL_WRITES", "model.gguf@1000");
    r = run_axolotl({"export", cfg.string(), "--quant", "f32", "--output", (out / "model.gguf").string()});
  }
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "model.gguf"));
  EXPECT_TRUE(leftovers(out).empty()) << leftovers(out).front();
}

// SIGTERM during preprocessing stops at the next chunk with 128+15 and leaves no temporary file.
TEST_F(TrainFaults, SigtermDuringPreprocessingStopsCleanly) {
  const fs::path out = dir_->path() / "preprocess-sigterm";
  const fs::path rows = dir_->path() / "many-rows.jsonl";
  {
    std::string line = R"({"instruction": "Repeat the words", "input": "", "output": ")";
    for (int i = 0; i < 40; ++i) line += "alpha beta gamma delta ";
    line += "\"}\n";
    std::string text;
    for (int i = 0; i < 60000; ++i) text += line;  // ~60 MB, ~10 s of preprocessing
    testing::write_file(rows, text);
  }
  const fs::path cfg = out.string() + ".yml";
  testing::write_file(cfg, "base_model: " + (dir_->path() / "tiny-model").string() + "\ndatasets:\n  - path: " +
                               rows.string() + "\n    type: alpaca\ndataset_prepared_path: " + out.string() +
                               "-prepared\noutput_dir: " + out.string() + "\nsequence_len: 64\n");
  const std::string bin = std::getenv("AXOLOTL_BIN");
  const pid_t pid = fork();
  if (pid == 0) {
    execl(bin.c_str(), bin.c_str(), "-q", "preprocess", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  usleep(1500 * 1000);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_TRUE(leftovers(out.string() + "-prepared").empty()) << leftovers(out.string() + "-prepared").front();
}

}  // namespace
}  // namespace axolotl::train
