// Shared helpers for the test binaries: temporary folders, running the real `axolotl` executable,
// and locating ../shared (skip cleanly when it is absent).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace axolotl::testing {

// A fresh folder under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

struct RunResult {
  int exit_code = -1;   // exit status, or 128+signal when killed by a signal
  std::string out;      // stdout
  std::string err;      // stderr
};

// Runs the built `axolotl` ($AXOLOTL_BIN) with `args`, feeding `stdin_text`; waits for it.
RunResult run_axolotl(const std::vector<std::string>& args, const std::string& stdin_text = "",
                      const std::filesystem::path& cwd = {});

// Writes `<out>.yml`: a flat-dialect config training on the bundled examples/tiny/data.jsonl alpaca
// rows with `keys`, where `overrides` ("key: value" lines) add keys or replace them. Returns its path.
std::filesystem::path write_alpaca_config(const std::filesystem::path& out, std::map<std::string, std::string> keys,
                                          const std::string& overrides);

// The project's source folder ($AXOLOTL_SOURCE_DIR).
std::filesystem::path source_dir();

// ../shared beside the checkout ($AXOLOTL_SHARED_DIR overrides); empty when absent.
std::filesystem::path shared_dir();

// The Python interpreter with torch and sentencepiece ($AXOLOTL_PYTHON); empty when absent.
std::string python();

}  // namespace axolotl::testing

// Skips the current test when ../shared is not there.
#define AXOLOTL_REQUIRE_SHARED()                                                      \
  do {                                                                                \
    if (::axolotl::testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent"; \
  } while (0)
