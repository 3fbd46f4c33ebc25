// Single-thread encode throughput of data::Tokenizer against python3-sentencepiece's sp.encode on the
// same lines (tests/reference/tokenizer_reference.py bench), both in CPU time. Label: slow.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "axolotl/data/tokenizer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

TEST(TokenizerBench, EncodeThroughputIsOnParWithPython) {
  AXOLOTL_REQUIRE_SHARED();
  if (testing::python().empty()) GTEST_SKIP() << "no python3 with sentencepiece";
  const auto model = testing::shared_dir() / "tokenizers/llama2/tokenizer.model";
  const auto text = testing::source_dir() / "examples/tiny/corpus.txt";
  constexpr int kReps = 20;

  auto tok = Tokenizer::load(model.string());
  std::vector<std::string> lines;
  std::ifstream f(text);
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  size_t tokens = 0;
  const std::clock_t start = std::clock();
  for (int r = 0; r < kReps; ++r) {
    for (const auto& line : lines) tokens += tok->encode(line, false, false).size();
  }
  const double cpp_s = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;

  const std::string cmd = testing::python() + " " +
                          (testing::source_dir() / "tests/reference/tokenizer_reference.py").string() + " bench " +
                          model.string() + " " + text.string() + " " + std::to_string(kReps);
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  unsigned long py_tokens = 0;
  double py_s = 0;
  const int got = std::fscanf(p, "%lu %lf", &py_tokens, &py_s);
  ASSERT_EQ(pclose(p), 0) << cmd;
  ASSERT_EQ(got, 2);
  EXPECT_EQ(py_tokens, tokens);
  const double cpp_rate = tokens / cpp_s, py_rate = py_tokens / py_s;
  std::printf("encode throughput, one thread: C++ %.0f tokens/s, python sentencepiece %.0f tokens/s (%.2fx)\n",
              cpp_rate, py_rate, cpp_rate / py_rate);
  // Both call the same sentencepiece code; the C++ side only adds the special-token scan.
  EXPECT_GT(cpp_rate, 0.5 * py_rate);
}

}  // namespace
}  // namespace axolotl::data
