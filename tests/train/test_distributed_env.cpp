// Environment validation, bucket planning and the local launcher (no collectives).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <torch/torch.h>

#include "axolotl/train/distributed_env.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/train/launcher.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

DistributedEnv parse(const std::map<std::string, std::string>& vars) {
  return parse_distributed_env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

// The diagnostic of the UsageError parse() throws.
Diagnostic parse_error(const std::map<std::string, std::string>& vars) {
  try {
    parse(vars);
  } catch (const UsageError& e) {
    return e.diagnostic();
  }
  ADD_FAILURE() << "no UsageError";
  return {};
}

const std::map<std::string, std::string> kTwo = {
    {"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};

std::map<std::string, std::string> two_with(const std::string& name, const std::string& value) {
  auto vars = kTwo;
  vars[name] = value;
  return vars;
}

TEST(DistributedEnv, UnsetOrWorldOneIsSingleProcess) {
  EXPECT_FALSE(parse({}).distributed());
  auto env = parse({{"WORLD_SIZE", "1"}, {"RANK", "0"}});
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(parse_error({{"WORLD_SIZE", "1"}, {"RANK", "3"}}).key, "RANK");
}

TEST(DistributedEnv, FullTorchrunEnvironment) {
  auto env = parse({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                    {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "1234"}});
  EXPECT_TRUE(env.distributed());
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
  EXPECT_EQ(env.master_addr, "node0");
  EXPECT_EQ(env.master_port, 1234);
}

TEST(DistributedEnv, LocalRankDefaultsToOneMachine) {
  auto env = parse(kTwo);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
}

TEST(DistributedEnv, ErrorsNameVariableFoundAndExpected) {
  auto d = parse_error(two_with("RANK", "2"));
  EXPECT_EQ(d.key, "RANK");
  EXPECT_EQ(d.found, "2");
  EXPECT_NE(d.expected.find("[0, 1]"), std::string::npos) << d.expected;
  EXPECT_FALSE(d.hint.empty());

  d = parse_error(two_with("WORLD_SIZE", "two"));
  EXPECT_EQ(d.key, "WORLD_SIZE");
  EXPECT_EQ(d.found, "\"two\"");

  auto no_rank = kTwo;
  no_rank.erase("RANK");
  d = parse_error(no_rank);
  EXPECT_EQ(d.key, "RANK");
  EXPECT_EQ(d.found, "unset");

  auto no_addr = kTwo;
  no_addr.erase("MASTER_ADDR");
  EXPECT_EQ(parse_error(no_addr).key, "MASTER_ADDR");
  EXPECT_EQ(parse_error(two_with("MASTER_ADDR", "")).key, "MASTER_ADDR");

  d = parse_error(two_with("MASTER_PORT", "70000"));
  EXPECT_EQ(d.key, "MASTER_PORT");
  EXPECT_EQ(d.found, "70000");
  EXPECT_EQ(parse_error(two_with("MASTER_PORT", "80x")).key, "MASTER_PORT");
  EXPECT_EQ(parse_error(two_with("WORLD_SIZE", "0")).key, "WORLD_SIZE");
  EXPECT_EQ(parse_error(two_with("LOCAL_RANK", "-1")).key, "LOCAL_RANK");

  auto local = two_with("LOCAL_WORLD_SIZE", "1");
  d = parse_error(local);  // RANK 1 without LOCAL_RANK cannot be on a machine of 1 worker
  EXPECT_EQ(d.key, "LOCAL_RANK");
  local["LOCAL_RANK"] = "1";
  EXPECT_EQ(parse_error(local).key, "LOCAL_RANK");
  EXPECT_EQ(parse_error(two_with("LOCAL_WORLD_SIZE", "3")).key, "LOCAL_WORLD_SIZE");
}

TEST(DistributedGrads, PlanBucketsBySizeDtypeAndDevice) {
  auto f32 = [](int64_t n) { return torch::zeros({n}, torch::kFloat32); };
  auto f64 = [](int64_t n) { return torch::zeros({n}, torch::kFloat64); };
  // 40-byte buckets: 7 floats = 28 B, 3 floats = 12 B (fits: 40), 1 float opens the next one;
  // a float64 starts its own; 20 floats (80 B) exceed the cap alone and get a bucket of their own.
  std::vector<torch::Tensor> ts{f32(7), f32(3), f32(1), f64(2), f32(20), f32(2)};
  auto plan = plan_buckets(ts, 40);
  std::vector<std::vector<size_t>> expected{{0, 1}, {2}, {3}, {4}, {5}};
  EXPECT_EQ(plan, expected);
  EXPECT_TRUE(plan_buckets({}, 40).empty());
  EXPECT_EQ(plan_buckets(ts, kDefaultBucketBytes), (std::vector<std::vector<size_t>>{{0, 1, 2}, {3}, {4, 5}}))
      << "only the dtype change splits";
}

TEST(Launcher, WithoutOptionRemovesBothForms) {
  std::vector<std::string> args{"axolotl", "train", "c.yml", "--nproc-per-node", "2", "--lr", "1"};
  EXPECT_EQ(without_option(args, "--nproc-per-node"),
            (std::vector<std::string>{"axolotl", "train", "c.yml", "--lr", "1"}));
  args = {"axolotl", "train", "--nproc-per-node=4", "c.yml"};
  EXPECT_EQ(without_option(args, "--nproc-per-node"), (std::vector<std::string>{"axolotl", "train", "c.yml"}));
}

TEST(Launcher, CurrentCommandLineAndFreePort) {
  auto args = current_command_line();
  ASSERT_FALSE(args.empty());
  EXPECT_EQ(std::filesystem::path(args[0]).filename(), std::filesystem::read_symlink("/proc/self/exe").filename());
  int port = pick_free_port("127.0.0.1");
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

TEST(Launcher, RunsWorkersWithTorchrunEnvironment) {
  testing::TempDir dir;
  LaunchOptions options;
  options.executable = "/bin/sh";
  options.master_port = 12345;
  const std::string script = "echo \"$RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT $1\" > " +
                             dir.path().string() + "/out.$RANK";
  EXPECT_EQ(launch_local_workers({"sh", "-c", script, "sh", "arg1"}, 2, options), 0);
  EXPECT_EQ(testing::read_file(dir / "out.0"), "0 2 0 2 127.0.0.1 12345 arg1\n");
  EXPECT_EQ(testing::read_file(dir / "out.1"), "1 2 1 2 127.0.0.1 12345 arg1\n");
}

TEST(Launcher, FailingWorkerStopsTheOthersAndItsStatusIsReturned) {
  LaunchOptions options;
  options.executable = "/bin/sh";
  options.grace_s = 2.0;
  // Rank 1 fails at once with 7; rank 0 would sleep 60 s, ignoring SIGTERM (so SIGKILL must follow).
  const std::string script = "if [ \"$RANK\" = 1 ]; then exit 7; fi; trap '' TERM; sleep 60";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(launch_local_workers({"sh", "-c", script}, 2, options), 7);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 15.0);
  EXPECT_GE(seconds, 1.5);  // the grace period was given
}

TEST(Launcher, ForwardsSigintOnceToEveryWorker) {
  testing::TempDir dir;
  LaunchOptions options;
  options.executable = "/bin/sh";
  // Each worker counts the SIGINTs it gets for 1 s after the first, then exits 130 (as the trainer
  // after its graceful save); a second, duplicated signal would show as "2".
  const std::string script = "n=0; trap 'n=$((n+1))' INT; while [ $n = 0 ]; do sleep 0.05; done; sleep 1; echo $n > " +
                             dir.path().string() + "/int.$RANK; exit 130";
  std::thread sender([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    kill(getpid(), SIGINT);  // as a terminal's Ctrl-C reaching the launcher
  });
  const int status = launch_local_workers({"sh", "-c", script}, 2, options);
  sender.join();
  EXPECT_EQ(status, 130);
  EXPECT_EQ(testing::read_file(dir / "int.0"), "1\n");
  EXPECT_EQ(testing::read_file(dir / "int.1"), "1\n");
}

TEST(Launcher, MissingExecutableFails) {
  LaunchOptions options;
  options.executable = "/nonexistent/axolotl";
  EXPECT_EQ(launch_local_workers({"axolotl"}, 2, options), 127);
  EXPECT_THROW(launch_local_workers({"axolotl"}, 0, options), UsageError);
}

}  // namespace
}  // namespace axolotl::train
