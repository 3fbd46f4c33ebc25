// `axolotl tokenize`: ids JSON, --tokens pairs, --count, --no-special, stdin, usage errors; on the
// tiny hand-written Llama-2-style tokenizer.json (tests/assets/data/tokenizer_json/llama2_style.json).
#include <gtest/gtest.h>

#include "test_support.h"

namespace axolotl {
namespace {

class TokenizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(dir_ / "tok/tokenizer.json",
                        testing::read_file(testing::source_dir() / "tests/assets/data/tokenizer_json/llama2_style.json"));
  }
  std::string tok() const { return (dir_ / "tok").string(); }
  testing::TempDir dir_;
};

TEST_F(TokenizeCli, PrintsIdsPairsAndCounts) {
  auto r = testing::run_axolotl({"tokenize", "--tokenizer", tok(), "--text", "hi t"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1,10,12]\n");
  r = testing::run_axolotl({"tokenize", "--tokenizer", tok(), "--text", "hi t", "--no-special", "--tokens"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[\"\xE2\x96\x81hi\",10],[\"\xE2\x96\x81t\",12]]\n");
  r = testing::run_axolotl({"tokenize", "--tokenizer", tok(), "--count"}, "hi</s>hi");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n");
  r = testing::run_axolotl({"tokenize", "--tokenizer", tok(), "--lines", "--no-special"}, "hi\nt\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[10]\n[12]\n");
}

TEST_F(TokenizeCli, UsageErrors) {
  auto r = testing::run_axolotl({"tokenize", "--text", "x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = testing::run_axolotl({"tokenize", "--tokenizer", tok(), "--tokens", "--count", "--text", "x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace axolotl
