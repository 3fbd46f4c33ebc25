// `axolotl completion bash|zsh|fish`: scripts generated from the parser name every command and
// option; the bash one is valid bash and completes commands and a command's options when run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <set>

#include "test_support.h"

namespace axolotl::testing {
namespace {

// The command names listed by `axolotl --help` (the "Subcommands:" section).
std::set<std::string> commands_in_help() {
  const auto help = run_axolotl({"--help"});
  std::set<std::string> names;
  const auto at = help.out.find("Subcommands:");
  if (at == std::string::npos) return names;
  std::istringstream in(help.out.substr(at));
  std::string line;
  std::getline(in, line);
  const std::regex row(R"(^  ([a-z][a-z0-9-]*)\s)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) names.insert(m[1]);
  }
  return names;
}

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(Completion, EveryShellScriptNamesEveryCommand) {
  const auto commands = commands_in_help();
  ASSERT_GE(commands.size(), 10u);
  EXPECT_TRUE(commands.count("completion"));
  for (const char* shell : {"bash", "zsh", "fish"}) {
    const auto r = run_axolotl({"completion", shell});
    ASSERT_EQ(r.exit_code, 0) << shell << "\n" << r.err;
    for (const auto& c : commands) EXPECT_NE(r.out.find(c), std::string::npos) << shell << ": " << c;
    EXPECT_NE(r.out.find("merge-lora"), std::string::npos) << shell << ": aliases too";
    EXPECT_NE(r.out.find("nproc-per-node"), std::string::npos) << shell << ": train's options";
    EXPECT_NE(r.out.find("log-level"), std::string::npos) << shell;
  }
  EXPECT_EQ(run_axolotl({"completion", "powershell"}).exit_code, 2);
}

TEST(Completion, BashScriptParsesAndCompletes) {
  if (!have("bash")) GTEST_SKIP() << "no bash";
  TempDir dir;
  const auto script = dir / "axolotl.bash";
  write_file(script, run_axolotl({"completion", "bash"}).out);
  ASSERT_EQ(std::system(("bash -n " + script.string()).c_str()), 0);
  // Runs the completion function as bash would for "axolotl tr<TAB>" and "axolotl train x.yml --nproc<TAB>".
  const auto complete = [&](const std::string& words, int cword) {
    const auto out = dir / "reply.txt";
    const std::string cmd = "bash -c 'source " + script.string() + "; COMP_WORDS=(" + words +
                            "); COMP_CWORD=" + std::to_string(cword) + "; _axolotl; printf \"%s\\n\" \"${COMPREPLY[@]}\"' > " +
                            out.string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return read_file(out);
  };
  EXPECT_EQ(complete("axolotl tr", 1), "train\n");
  EXPECT_EQ(complete("axolotl --log-level warn vali", 3), "validate\n");
  EXPECT_EQ(complete("axolotl train x.yml --nproc", 3), "--nproc-per-node\n");
  EXPECT_NE(complete("axolotl merge-lora x.yml --", 3).find("--output"), std::string::npos);
  EXPECT_EQ(complete("axolotl train x", 2), "\n");  // not an option: left to file-name completion
}

TEST(Completion, ZshAndFishScriptsParseWhereThoseShellsExist) {
  for (const char* shell : {"zsh", "fish"}) {
    if (!have(shell)) continue;
    TempDir dir;
    const auto script = dir / "script";
    write_file(script, run_axolotl({"completion", shell}).out);
    EXPECT_EQ(std::system((std::string(shell) + " -n " + script.string()).c_str()), 0) << shell;
  }
}

}  // namespace
}  // namespace axolotl::testing
