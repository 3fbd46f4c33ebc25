// End-to-end checks of the executable's command line.
#include <gtest/gtest.h>

#include "test_support.h"

namespace axolotl::testing {

TEST(Cli, HelpListsCommandsAndExitsZero) {
  auto r = run_axolotl({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"validate", "init", "preprocess", "train", "merge", "inference", "download"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST(Cli, VersionPrintsName) {
  auto r = run_axolotl({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("axolotl"), std::string::npos);
}

TEST(Cli, NoCommandIsUsageError) {
  EXPECT_EQ(run_axolotl({}).exit_code, 2);
}

TEST(Cli, UnknownCommandIsUsageError) {
  EXPECT_EQ(run_axolotl({"frobnicate"}).exit_code, 2);
}

TEST(Cli, BadLogLevelIsUsageError) {
  auto r = run_axolotl({"--log-level", "loud", "validate", "x.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("log level"), std::string::npos);
}

}  // namespace axolotl::testing
