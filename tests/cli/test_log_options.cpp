// Logging options before and after the command: -q/--quiet, --log-level and Axolotl's bare --debug.
#include <gtest/gtest.h>

#include "test_support.h"

namespace axolotl::testing {
namespace {

// A config whose model does not exist yet: validate logs an info note about it and succeeds.
std::string config(const TempDir& dir) {
  const auto p = dir / "c.yml";
  write_file(p, "base_model: " + (dir / "not-yet").string() + "\n");
  return p.string();
}

TEST(LogOptions, QuietAndLogLevelAreAcceptedAfterTheCommand) {
  TempDir dir;
  const std::string cfg = config(dir);
  const auto loud = run_axolotl({"validate", cfg});
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  EXPECT_NE(loud.err.find("does not exist yet"), std::string::npos) << loud.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-q", "validate", cfg}, {"validate", cfg, "-q"}, {"validate", cfg, "--quiet"},
        {"validate", cfg, "--log-level", "warn"}, {"--log-level", "error", "validate", cfg}}) {
    const auto r = run_axolotl(args);
    EXPECT_EQ(r.exit_code, 0) << args.back() << "\n" << r.err;
    EXPECT_EQ(r.err.find("does not exist yet"), std::string::npos) << args.back() << "\n" << r.err;
  }
  const auto bad = run_axolotl({"validate", cfg, "--log-level", "loud"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown log level"), std::string::npos) << bad.err;
}

TEST(LogOptions, BareDebugMeansLogLevelDebugBeforeOrAfterTheCommand) {
  const std::string tok = (source_dir() / "tests/assets/export/bpe").string();
  const auto plain = run_axolotl({"tokenize", "--tokenizer", tok, "--text", "hi"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err.find("[tokenizer] loaded"), std::string::npos) << plain.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tokenize", "--tokenizer", tok, "--text", "hi", "--debug"},
        {"--debug", "tokenize", "--tokenizer", tok, "--text", "hi"}}) {
    const auto r = run_axolotl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("[tokenizer] loaded"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, plain.out);
  }
  // -q wins over --debug; an explicit --log-level over a bare --debug.
  auto r = run_axolotl({"tokenize", "--tokenizer", tok, "--text", "hi", "--debug", "-q"});
  EXPECT_EQ(r.err.find("[tokenizer] loaded"), std::string::npos) << r.err;
  r = run_axolotl({"tokenize", "--tokenizer", tok, "--text", "hi", "--debug", "--log-level", "info"});
  EXPECT_EQ(r.err.find("[tokenizer] loaded"), std::string::npos) << r.err;
}

TEST(LogOptions, PreprocessKeepsItsOwnDebugRows) {
  const auto help = run_axolotl({"preprocess", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("show N training rows"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--quiet"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace axolotl::testing
