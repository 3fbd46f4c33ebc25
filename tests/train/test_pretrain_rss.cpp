// Peak resident memory of `axolotl train` on pretraining_dataset does not grow with the file: a
// generated ~2 GB text file (AXOLOTL_STREAM_RSS_MB, default 2048) against a ~20 MB one, each streamed
// from its first byte to its last (skip = all but the last documents, so every line is read), 2
// steps each. Peak RSS is the child's ru_maxrss. Slow: it writes and reads the large file.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "axolotl/train/metrics_writer.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;

// `mb` MiB of text lines (documents of 40..1000 bytes of words); returns the number of lines.
int64_t write_corpus(const fs::path& p, int64_t mb) {
  std::ofstream out(p, std::ios::binary);
  const char* words[] = {"the ", "cat ", "sat ", "on ", "a ", "mat ", "and ", "dog ", "ran ", "far "};
  uint64_t x = 99;
  std::string line, block;
  int64_t written = 0, lines = 0;
  while (written < mb * 1024 * 1024) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t len = 40 + (x >> 33) % 960;
    line.clear();
    for (uint64_t y = x; line.size() < len; y = y * 2862933555777941757ULL + 3037000493ULL) line += words[(y >> 40) % 10];
    line += '\n';
    block += line;
    written += static_cast<int64_t>(line.size());
    ++lines;
    if (block.size() > (1 << 20)) {
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      block.clear();
    }
  }
  out.write(block.data(), static_cast<std::streamsize>(block.size()));
  return lines;
}

// Runs `axolotl args` in a child process and returns its peak RSS in KiB (-1 when it failed).
int64_t peak_rss_kib(const std::vector<std::string>& args, std::string* err) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {  // a fresh process whose only child is axolotl: RUSAGE_CHILDREN is its peak
    close(fd[0]);
    const auto r = testing::run_axolotl(args);
    struct rusage ru {};
    getrusage(RUSAGE_CHILDREN, &ru);
    const std::string msg = std::to_string(r.exit_code == 0 ? ru.ru_maxrss : -1) + "\n" + r.err;
    if (write(fd[1], msg.data(), msg.size()) < 0) _exit(2);
    _exit(0);
  }
  close(fd[1]);
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = read(fd[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto nl = msg.find('\n');
  if (err) *err = nl == std::string::npos ? msg : msg.substr(nl + 1);
  return nl == std::string::npos ? -1 : std::atoll(msg.substr(0, nl).c_str());
}

TEST(PretrainRss, PeakRssIsFlatFrom20MBTo2GB) {
  testing::TempDir dir;
  auto r = testing::run_axolotl({"create-tiny", "--output", (dir / "tiny").string(), "--corpus",
                                 (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const char* env = std::getenv("AXOLOTL_STREAM_RSS_MB");
  const int64_t large_mb = env ? std::atoll(env) : 2048;
  auto measure = [&](const std::string& name, int64_t mb) {
    const fs::path file = dir / (name + ".txt");
    const int64_t lines = write_corpus(file, mb);
    const fs::path out = dir / ("out-" + name);
    const fs::path cfg = dir / (name + ".yml");
    testing::write_file(cfg, "base_model: " + (dir / "tiny").string() + "\noutput_dir: " + out.string() +
                                 "\npretraining_dataset:\n  - path: " + file.string() + "\n    skip: " +
                                 std::to_string(lines - 200) + "\nmax_steps: 2\nsequence_len: 128\n"
                                 "micro_batch_size: 2\nsample_packing: true\nadapter: lora\nlora_r: 4\n"
                                 "lora_alpha: 8\nbf16: false\nsave_strategy: 'no'\nlogging_steps: 1\n");
    std::string err;
    const int64_t kib = peak_rss_kib({"train", cfg.string()}, &err);
    EXPECT_GT(kib, 0) << err;
    EXPECT_EQ(read_metrics((out / "metrics.jsonl").string()).size(), 2u) << err;
    std::printf("pretraining stream of %lld MiB (%lld documents, all but 200 skipped): peak RSS %lld KiB\n",
                static_cast<long long>(mb), static_cast<long long>(lines), static_cast<long long>(kib));
    fs::remove(file);
    return kib;
  };
  const int64_t small = measure("small", 20);
  const int64_t large = measure("large", large_mb);
  EXPECT_LE(large, small + 16 * 1024) << "peak RSS grew with the file: " << small << " KiB -> " << large << " KiB";
}

}  // namespace
}  // namespace axolotl::train
