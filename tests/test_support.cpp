// Implementation of tests/test_support.h.
#include "test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace axolotl::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = fs::temp_directory_path() / ("axolotl-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, const std::string& content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

fs::path write_alpaca_config(const fs::path& out, std::map<std::string, std::string> keys,
                             const std::string& overrides) {
  std::stringstream lines(overrides);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon != std::string::npos) keys[line.substr(0, colon)] = line.substr(colon + 2);
  }
  std::string yaml = "datasets:\n  - path: " + (source_dir() / "examples/tiny/data.jsonl").string() +
                     "\n    type: alpaca\n";
  for (const auto& [k, v] : keys) yaml += k + ": " + v + "\n";
  const fs::path p = out.string() + ".yml";
  write_file(p, yaml);
  return p;
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

std::string drain(int fd) {
  std::string s;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return s;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

}  // namespace

RunResult run_axolotl(const std::vector<std::string>& args, const std::string& stdin_text, const fs::path& cwd) {
  std::string bin = env_or("AXOLOTL_BIN", "");
  if (bin.empty()) throw std::runtime_error("AXOLOTL_BIN is not set (run the tests through ctest)");
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  RunResult r;
  std::thread t_out([&] { r.out = drain(out[0]); });
  std::thread t_err([&] { r.err = drain(err[0]); });
  size_t off = 0;
  while (off < stdin_text.size()) {
    ssize_t n = write(in[1], stdin_text.data() + off, stdin_text.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(in[1]);
  t_out.join();
  t_err.join();
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path source_dir() { return env_or("AXOLOTL_SOURCE_DIR", fs::current_path().string()); }

fs::path shared_dir() {
  fs::path p = env_or("AXOLOTL_SHARED_DIR", (source_dir() / ".." / "shared").string());
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return {};
  return fs::canonical(p, ec);
}

std::string python() {
  std::string p = env_or("AXOLOTL_PYTHON", "/usr/bin/python3");
  return access(p.c_str(), X_OK) == 0 ? p : std::string();
}

}  // namespace axolotl::testing
