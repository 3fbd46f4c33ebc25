// `axolotl --version`: the version, then the LibTorch version, CUDA and oneDNN of this build, read
// from build-time facts (the engine is not loaded).
#include <gtest/gtest.h>

#include <regex>

#include "test_support.h"

namespace axolotl::testing {
namespace {

TEST(Version, NamesLibTorchCudaAndOneDnn) {
  const auto r = run_axolotl({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::regex format(
      "axolotl [0-9]+\\.[0-9]+\\.[0-9]+\n"
      "libtorch: ([0-9]+\\.[0-9]+(\\.[0-9]+)?|unknown)\n"
      "cuda: (yes( \\(CUDA [0-9.]+\\))?|no)\n"
      "onednn: (yes \\(.*\\)|no)\n");
  EXPECT_TRUE(std::regex_match(r.out, format)) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Version, DoesNotLoadTheEngine) {
  // The engine logs "[engine] loaded <path>" at debug level when it is dlopened.
  const auto r = run_axolotl({"--log-level", "debug", "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err.find("[engine]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::testing
