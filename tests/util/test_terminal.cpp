// Colour only on a terminal, never under NO_COLOR (no-color.org): the real executable on a
// pseudo-terminal and on a pipe.
#include <gtest/gtest.h>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "axolotl/util/terminal.h"
#include "test_support.h"

namespace axolotl {
namespace {

// Runs $AXOLOTL_BIN with `args` on a new pseudo-terminal (stdout and stderr both), NO_COLOR set to
// `no_color` when it is not null; returns everything it wrote.
std::string run_on_pty(const std::vector<std::string>& args, const char* no_color) {
  const char* bin = std::getenv("AXOLOTL_BIN");
  if (bin == nullptr) return "AXOLOTL_BIN unset";
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) {
    if (no_color) setenv("NO_COLOR", no_color, 1); else unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    std::vector<char*> argv{const_cast<char*>(bin)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin, argv.data());
    _exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once the child has closed the terminal
    out.append(buf, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(Terminal, PipesAreNotTerminals) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(is_terminal(fds[1]));
  EXPECT_FALSE(colour_allowed(fds[1]));
  close(fds[0]);
  close(fds[1]);
}

TEST(Terminal, ErrorsAreColouredOnATerminalUnlessNoColor) {
  testing::TempDir dir;
  const std::string cfg = (dir / "c.yml").string();
  testing::write_file(cfg, "base_model: x\nlearning_rate: -1\n");
  const std::string coloured = run_on_pty({"validate", cfg}, nullptr);
  EXPECT_NE(coloured.find("\033[1;31merror:"), std::string::npos) << coloured;
  const std::string plain = run_on_pty({"validate", cfg}, "1");
  EXPECT_NE(plain.find("error:"), std::string::npos) << plain;
  EXPECT_EQ(plain.find('\033'), std::string::npos) << plain;
  const std::string empty = run_on_pty({"validate", cfg}, "");  // an empty NO_COLOR does not count
  EXPECT_NE(empty.find("\033[1;31merror:"), std::string::npos) << empty;
  const auto piped = testing::run_axolotl({"validate", cfg});
  EXPECT_NE(piped.err.find("error:"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\033'), std::string::npos) << piped.err;
}

TEST(Terminal, WarningsAreColouredOnATerminalUnlessNoColor) {
  // An unknown-but-ignored Axolotl key is a warning line from the logger.
  testing::TempDir dir;
  const std::string cfg = (dir / "c.yml").string();
  testing::write_file(cfg, "base_model: x\nstrict: false\nwandb_project: p\n");
  const std::string coloured = run_on_pty({"validate", cfg}, nullptr);
  EXPECT_NE(coloured.find("\033[33m\033[1mwarning"), std::string::npos) << coloured;  // spdlog: bold yellow
  const std::string plain = run_on_pty({"validate", cfg}, "yes");
  EXPECT_NE(plain.find("warn"), std::string::npos) << plain;
  EXPECT_EQ(plain.find('\033'), std::string::npos) << plain;
}

}  // namespace
}  // namespace axolotl
