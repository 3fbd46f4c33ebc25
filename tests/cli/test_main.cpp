// End-to-end checks of the executable's command line.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

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

// scripts/install-deps.sh --list: what each entry point installs. `make demo`/`make build` take the
// plain list: ca-certificates (a --no-install-recommends Debian cannot verify the Hub's TLS without
// it), no sentencepiece command-line tools, no Python; `make test` adds the test-only packages.
std::string shell_output(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

std::set<std::string> words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

TEST(InstallDeps, DemoInstallsNoTestOnlyPackagesAndTestDoes) {
  const std::string script = "bash " + (source_dir() / "scripts" / "install-deps.sh").string();
  const auto plain = words(shell_output(script + " --list"));
  ASSERT_GT(plain.size(), 10u) << "install-deps.sh --list printed nothing";
  EXPECT_TRUE(plain.count("ca-certificates"));
  EXPECT_TRUE(plain.count("libsentencepiece-dev"));
  EXPECT_FALSE(plain.count("sentencepiece")) << "the command-line tools: nothing runs them";
  for (const auto& p : plain) EXPECT_NE(p.rfind("python3", 0), 0u) << p << " is test-only";
  const auto test = words(shell_output(script + " --test --list"));
  for (const char* p : {"python3", "python3-torch", "python3-sentencepiece", "python3-yaml", "python3-jsonschema"})
    EXPECT_TRUE(test.count(p)) << p;
  EXPECT_EQ(std::system((script + " --bogus 2>/dev/null").c_str()) >> 8, 2);
  // Which entry point passes --test (make -n prints the recipe without running it).
  const std::string make = "make -n -s -C " + source_dir().string() + " BUILD_DIR=/nonexistent-build ";
  const std::string demo = shell_output(make + "demo 2>/dev/null");
  if (demo.empty()) GTEST_SKIP() << "no make";
  EXPECT_NE(demo.find("install-deps.sh"), std::string::npos) << demo;
  EXPECT_EQ(demo.find("--test"), std::string::npos) << demo;
  EXPECT_NE(shell_output(make + "test 2>/dev/null").find("install-deps.sh --test"), std::string::npos);
  EXPECT_EQ(read_file(source_dir() / "scripts" / "demo.sh").find("python"), std::string::npos)
      << "the demo runs no Python";
}

}  // namespace axolotl::testing
