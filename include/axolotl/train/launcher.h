// `axolotl train --nproc-per-node N`: starts N local data-parallel workers (like torchrun on one
// machine) and supervises them. Torch-free (built into libaxolotl_core), so the launching process
// never loads LibTorch. Linux only (fork/exec, /proc/self/exe, PR_SET_PDEATHSIG).
#pragma once

#include <string>
#include <vector>

namespace axolotl::train {

struct LaunchOptions {
  std::string executable = "/proc/self/exe";  // what each worker runs
  std::string master_addr = "127.0.0.1";
  int master_port = 0;           // 0: a free port picked on master_addr
  double grace_s = 30.0;         // after a worker fails: time the others get after SIGTERM, then SIGKILL
};

// Runs `argv` (argv[0] first) as N workers with RANK=LOCAL_RANK=i, WORLD_SIZE=LOCAL_WORLD_SIZE=N,
// MASTER_ADDR, MASTER_PORT added to this process's environment (and OMP_NUM_THREADS = cores / N when
// unset). Each worker leads its own process group: a terminal's Ctrl-C reaches only the launcher,
// which forwards each SIGINT/SIGTERM exactly once to every worker's group (so the trainer's "second
// signal stops at once" rule still works); workers die with the launcher (PR_SET_PDEATHSIG). When a
// worker fails (not after a forwarded signal), the others get SIGTERM, then SIGKILL after grace_s.
// Returns 0 when all succeed, else the first failing worker's status (exit code, or 128+signal; 127
// when the executable cannot be run). Throws Error when a worker cannot be forked.
int launch_local_workers(const std::vector<std::string>& argv, int n, const LaunchOptions& options);
int launch_local_workers(const std::vector<std::string>& argv, int n);

// This process's command line (/proc/self/cmdline), argv[0] first.
std::vector<std::string> current_command_line();

// `args` without `option` and its value ("--opt V" and "--opt=V" forms).
std::vector<std::string> without_option(const std::vector<std::string>& args, const std::string& option);

// A TCP port on `host` (an IPv4 address) that was free a moment ago (bind to port 0, as torchrun).
int pick_free_port(const std::string& host = "127.0.0.1");

}  // namespace axolotl::train
