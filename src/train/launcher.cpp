// Local multi-process launcher (see launcher.h); part of libaxolotl_core, no LibTorch.
#include "axolotl/train/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

extern char** environ;

namespace axolotl::train {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_sigint = 0;   // signals received, forwarded by the supervision loop
volatile std::sig_atomic_t g_sigterm = 0;

void on_signal(int sig) {
  if (sig == SIGINT) g_sigint = g_sigint + 1;
  if (sig == SIGTERM) g_sigterm = g_sigterm + 1;
}

// Installs the counting handlers for the lifetime of the supervision, then restores the old ones.
class SignalCounter {
 public:
  SignalCounter() {
    g_sigint = 0;
    g_sigterm = 0;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalCounter() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalCounter(const SignalCounter&) = delete;
  SignalCounter& operator=(const SignalCounter&) = delete;

 private:
  struct sigaction old_int_, old_term_;
};

constexpr const char* kManagedVars[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                                        "MASTER_PORT", "GROUP_RANK", "ROLE_RANK"};

// This process's environment without the variables the launcher sets; OMP_NUM_THREADS, when
// unset, shares the cores among the workers (as torchrun, which sets 1).
std::vector<std::string> base_environment(int n) {
  std::vector<std::string> env;
  bool has_omp = false;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (name == "OMP_NUM_THREADS") has_omp = true;
    if (std::find(std::begin(kManagedVars), std::end(kManagedVars), name) == std::end(kManagedVars)) {
      env.push_back(entry);
    }
  }
  if (!has_omp) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    unsigned per_worker = std::max(1u, cores / static_cast<unsigned>(n));
    env.push_back("OMP_NUM_THREADS=" + std::to_string(per_worker));
    log::info("launcher", "OMP_NUM_THREADS unset: {} thread(s) per worker ({} cores / {} workers)", per_worker, cores, n);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

struct Worker {
  pid_t pid = -1;
  int rank = 0;
  bool running = false;
};

void signal_running(std::vector<Worker>& workers, int sig) {
  for (auto& w : workers) {
    if (w.running) kill(-w.pid, sig);  // the worker's process group: it and its own children
  }
}

}  // namespace

int pick_free_port(const std::string& host) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError(std::string("cannot open a socket to pick a port: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    close(fd);
    Diagnostic d;
    d.key = "MASTER_ADDR";
    d.message = "is not an IPv4 address";
    d.found = host;
    d.expected = "an address such as 127.0.0.1";
    throw UsageError(d);
  }
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    throw IoError("cannot bind a socket on " + host + " to pick a port: " + why);
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::vector<std::string> current_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

std::vector<std::string> without_option(const std::vector<std::string>& args, const std::string& option) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == option) {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind(option + "=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

int launch_local_workers(const std::vector<std::string>& argv, int n) {
  return launch_local_workers(argv, n, LaunchOptions{});
}

int launch_local_workers(const std::vector<std::string>& argv, int n, const LaunchOptions& options) {
  if (n < 1) throw UsageError("--nproc-per-node must be at least 1, got " + std::to_string(n));
  if (argv.empty()) throw UsageError("launch_local_workers: empty command line");
  const int port = options.master_port > 0 ? options.master_port : pick_free_port(options.master_addr);
  log::info("launcher", "starting {} workers (MASTER_ADDR={} MASTER_PORT={})", n, options.master_addr, port);

  // Everything the children need is built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv = c_strings(args);
  const std::vector<std::string> base = base_environment(n);
  std::vector<std::vector<std::string>> envs(n, base);
  std::vector<std::vector<char*>> c_envs;
  for (int i = 0; i < n; ++i) {
    for (const auto& kv : {std::pair<std::string, int>{"RANK", i}, {"LOCAL_RANK", i}, {"WORLD_SIZE", n},
                           {"LOCAL_WORLD_SIZE", n}, {"MASTER_PORT", port}}) {
      envs[i].push_back(kv.first + "=" + std::to_string(kv.second));
    }
    envs[i].push_back("MASTER_ADDR=" + options.master_addr);
  }
  for (auto& e : envs) c_envs.push_back(c_strings(e));

  SignalCounter counter;
  std::vector<Worker> workers(n);
  const pid_t parent = getpid();
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      std::string why = std::strerror(errno);
      signal_running(workers, SIGKILL);
      for (auto& w : workers) {
        if (w.running) waitpid(w.pid, nullptr, 0);
      }
      throw Error("cannot start worker " + std::to_string(i) + ": fork failed: " + why);
    }
    if (pid == 0) {
      setpgid(0, 0);                       // the terminal's Ctrl-C goes to the launcher only
      prctl(PR_SET_PDEATHSIG, SIGTERM);    // die with the launcher
      if (getppid() != parent) _exit(1);   // the launcher died before prctl took effect
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      execve(options.executable.c_str(), c_argv.data(), c_envs[i].data());
      static const char kMsg[] = "[launcher] exec of the worker failed\n";
      ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
      (void)ignored;
      _exit(127);
    }
    setpgid(pid, pid);  // also here, so that the group exists before any signal is sent to it
    workers[i] = Worker{pid, i, true};
  }

  int first_status = 0;
  int forwarded_int = 0, forwarded_term = 0;
  bool stopping = false;  // the user asked to stop (a signal was forwarded)
  bool kill_scheduled = false;
  Clock::time_point kill_at{};
  int running = n;
  while (running > 0) {
    for (; forwarded_int < g_sigint; ++forwarded_int) signal_running(workers, SIGINT);
    for (; forwarded_term < g_sigterm; ++forwarded_term) signal_running(workers, SIGTERM);
    if (forwarded_int + forwarded_term > 0) stopping = true;

    for (auto it = workers.begin(); it != workers.end(); ++it) {
      int wait_status = 0;
      if (!it->running || waitpid(it->pid, &wait_status, WNOHANG) != it->pid) continue;
      it->running = false;
      --running;
      const int status = status_of(wait_status);
      if (status == 0) continue;
      if (first_status == 0) {
        first_status = status;
        if (!stopping && running > 0) {
          log::error("launcher", "worker rank {} failed (status {}); stopping the other workers (SIGTERM, then SIGKILL "
                                 "after {} s)", it->rank, status, options.grace_s);
          signal_running(workers, SIGTERM);
          kill_scheduled = true;
          kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options.grace_s * 1000));
        } else {
          log::error("launcher", "worker rank {} exited with status {}", it->rank, status);
        }
      }
    }
    if (kill_scheduled && running > 0 && Clock::now() >= kill_at) {
      log::error("launcher", "{} worker(s) still running after {} s; killing them", running, options.grace_s);
      signal_running(workers, SIGKILL);
      kill_scheduled = false;
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (first_status == 0) log::info("launcher", "all {} workers finished", n);
  return first_status;
}

}  // namespace axolotl::train
