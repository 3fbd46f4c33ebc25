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

TEST(Cli, UnknownCommandSuggestsTheClosest) {
  auto r = run_axolotl({"trian", "x.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'trian'; did you mean 'train'?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  r = run_axolotl({"--log-level", "warn", "infer", "x.yml"});
  EXPECT_NE(r.err.find("unknown command 'infer'; did you mean 'inference'?"), std::string::npos) << r.err;
  r = run_axolotl({"frobnicate"});
  EXPECT_NE(r.err.find("unknown command 'frobnicate'; commands: validate"), std::string::npos) << r.err;
}

TEST(Cli, AxolotlSpellingsAreAliases) {
  // merge-lora is merge: it reaches merge's own option check rather than an unknown-command error.
  auto r = run_axolotl({"merge-lora", "x.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("unknown command"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--output"), std::string::npos) << r.err;
  auto help = run_axolotl({"evaluate", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("eval"), std::string::npos) << help.out;
}

TEST(Cli, BadLogLevelIsUsageError) {
  auto r = run_axolotl({"--log-level", "loud", "validate", "x.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("log level"), std::string::npos);
}

TEST(Cli, DownloadAndCreateTinyShowTheirOwnExamples) {
  const auto top = run_axolotl({"--help"});
  for (const std::string cmd : {"download", "create-tiny", "completion"}) {
    const auto r = run_axolotl({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("axolotl " + cmd + " "), std::string::npos) << cmd << ": an example of itself\n" << r.out;
    EXPECT_EQ(r.out.find("axolotl init --preset tiny"), std::string::npos) << cmd << ": the top-level footer\n" << r.out;
  }
  EXPECT_NE(top.out.find("axolotl init --preset tiny"), std::string::npos) << top.out;
}

}  // namespace axolotl::testing
