// Forked ranks for the distributed tests (see test_distributed_harness.h).
#include "test_distributed_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <torch/torch.h>

#include "axolotl/train/launcher.h"
#include "test_support.h"

namespace axolotl::testing {

void check(bool ok, const std::string& message) {
  if (!ok) throw std::runtime_error(message);
}

std::vector<RankOutcome> run_ranks(int world_size, const std::function<void(int rank)>& body, double limit_s) {
  std::vector<int> all;
  for (int r = 0; r < world_size; ++r) all.push_back(r);
  return run_ranks(world_size, all, body, limit_s);
}

std::vector<RankOutcome> run_ranks(int world_size, const std::vector<int>& ranks,
                                   const std::function<void(int rank)>& body, double limit_s) {
  TempDir dir;
  const int port = train::pick_free_port("127.0.0.1");
  const auto start = std::chrono::steady_clock::now();
  std::vector<RankOutcome> outcomes;
  std::vector<pid_t> pids;
  for (int rank : ranks) {
    const std::string message_file = (dir / ("rank" + std::to_string(rank) + ".txt")).string();
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int status = 0;
      try {
        setenv("RANK", std::to_string(rank).c_str(), 1);
        setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
        setenv("WORLD_SIZE", std::to_string(world_size).c_str(), 1);
        setenv("LOCAL_WORLD_SIZE", std::to_string(world_size).c_str(), 1);
        setenv("MASTER_ADDR", "127.0.0.1", 1);
        setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
        torch::set_num_threads(1);
        body(rank);
      } catch (const std::exception& e) {
        std::ofstream(message_file) << e.what();
        status = 1;
      } catch (...) {
        std::ofstream(message_file) << "unknown exception";
        status = 1;
      }
      std::fflush(nullptr);
      _exit(status);
    }
    pids.push_back(pid);
    outcomes.push_back(RankOutcome{rank, -1, "", 0});
  }
  const auto limit = start + std::chrono::milliseconds(static_cast<int64_t>(limit_s * 1000));
  size_t left = pids.size();
  while (left > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (outcomes[i].status != -1) continue;
      int st = 0;
      if (waitpid(pids[i], &st, WNOHANG) != pids[i]) continue;
      outcomes[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      outcomes[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      --left;
    }
    if (left > 0 && std::chrono::steady_clock::now() > limit) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (outcomes[i].status == -1) kill(pids[i], SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& o : outcomes) {
    std::ifstream in(dir / ("rank" + std::to_string(o.rank) + ".txt"));
    std::stringstream text;
    text << in.rdbuf();
    o.message = text.str();
  }
  return outcomes;
}

}  // namespace axolotl::testing
