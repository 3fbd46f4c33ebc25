// Collectives and failures of DistributedContext: 2 forked ranks with Gloo on 127.0.0.1.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "axolotl/train/distributed_context.h"
#include "axolotl/train/distributed_grads.h"
#include "test_distributed_harness.h"

namespace axolotl::train {
namespace {

using testing::check;
using testing::RankOutcome;
using testing::run_ranks;

config::DistributedConfig with_timeout(int seconds) {
  config::DistributedConfig config;
  config.ddp_timeout_s = seconds;
  config.backend = "gloo";
  return config;
}

std::string describe(const std::vector<RankOutcome>& outcomes) {
  std::string out;
  for (const auto& o : outcomes) {
    out += "rank " + std::to_string(o.rank) + ": status " + std::to_string(o.status) + " after " +
           std::to_string(o.seconds) + " s: " + o.message + "\n";
  }
  return out;
}

// The failure tests show the messages the users would read.
void show(const std::vector<RankOutcome>& outcomes) { std::cerr << describe(outcomes); }

void expect_all_ok(const std::vector<RankOutcome>& outcomes) {
  for (const auto& o : outcomes) EXPECT_EQ(o.status, 0) << describe(outcomes);
}

// Rank r's values for a tensor of `shape`: distinct per rank and element, exact in float32.
torch::Tensor rank_values(int rank, torch::IntArrayRef shape, int salt) {
  auto n = c10::multiply_integers(shape);
  return (torch::arange(n, torch::kFloat32) * (rank + 1) + salt * 100 + rank).reshape(shape);
}

TEST(DistributedContext, SingleProcessIsANoOp) {
  DistributedContext context(DistributedEnv{}, config::DistributedConfig{});
  EXPECT_FALSE(context.distributed());
  EXPECT_TRUE(context.is_main_process());
  EXPECT_EQ(context.backend(), CommBackend::kNone);
  EXPECT_EQ(context.all_reduce_sum(2.5), 2.5);
  auto t = torch::ones({3});
  context.all_reduce_sum(t);
  EXPECT_TRUE(t.equal(torch::ones({3})));
  context.barrier();
  auto p = torch::ones({2}, torch::requires_grad());
  p.mutable_grad() = torch::full({2}, 3.0f);
  EXPECT_EQ(all_reduce_gradients(context, {p}).buckets, 0);
  EXPECT_TRUE(p.grad().equal(torch::full({2}, 3.0f)));
}

TEST(DistributedContext, AllReduceSumOfScalarsAndOddSizedTensors) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(20));
    check(dist->distributed() && dist->rank() == rank && dist->world_size() == 2, "wrong rank/world");
    check(dist->is_main_process() == (rank == 0), "is_main_process");
    check(dist->all_reduce_sum(rank + 0.5) == 2.0, "scalar sum");
    auto sums = dist->all_reduce_sum(std::vector<double>{1.0, 10.0 * rank, 1e12 + rank});
    check(sums == std::vector<double>{2.0, 10.0, 2e12 + 1}, "vector sum");
    for (auto shape : {std::vector<int64_t>{7}, {3, 5}, {1}, {2, 3, 11}}) {
      auto t = rank_values(rank, shape, 1);
      dist->all_reduce_sum(t);
      auto expected = rank_values(0, shape, 1) + rank_values(1, shape, 1);
      check(t.equal(expected), "tensor sum for numel " + std::to_string(t.numel()));
    }
    dist->barrier("end");
  }, 60);
  expect_all_ok(outcomes);
}

TEST(DistributedGrads, BucketedGradientSumOverRanks) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(20));
    std::vector<std::vector<int64_t>> shapes{{7}, {3, 5}, {13}, {1}, {4, 3}, {5}};
    std::vector<torch::Tensor> params;
    for (const auto& s : shapes) params.push_back(torch::zeros(s, torch::requires_grad()));
    params[4] = torch::zeros({4, 3}, torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true));
    auto frozen = torch::zeros({6});  // requires_grad false: skipped even with a grad-like tensor around
    params.push_back(frozen);
    for (size_t i = 0; i < shapes.size(); ++i) {
      if (i == 2 && rank == 1) continue;  // param 2: a gradient on rank 0 only
      if (i == 3) continue;               // param 3: no gradient anywhere
      params[i].mutable_grad() = rank_values(rank, shapes[i], static_cast<int>(i)).to(params[i].scalar_type());
    }
    // Non-contiguous gradient: the transpose of a (3, 5) buffer.
    params[1].mutable_grad() = rank_values(rank, {5, 3}, 1).t();
    auto stats = all_reduce_gradients(*dist, params, 48);  // 48 B buckets: several per call
    check(stats.buckets >= 5, "expected several buckets, got " + std::to_string(stats.buckets));
    for (size_t i = 0; i < shapes.size(); ++i) {
      const auto& g = params[i].grad();
      if (i == 3) {
        check(!g.defined(), "param 3 got a gradient");
        continue;
      }
      torch::Tensor expected;
      if (i == 1) {
        expected = rank_values(0, {5, 3}, 1).t() + rank_values(1, {5, 3}, 1).t();
      } else if (i == 2) {
        expected = rank_values(0, shapes[i], 2);
      } else {
        expected = rank_values(0, shapes[i], static_cast<int>(i)) + rank_values(1, shapes[i], static_cast<int>(i));
      }
      check(g.defined() && g.to(torch::kFloat32).equal(expected), "gradient sum of param " + std::to_string(i));
    }
    check(params[4].grad().scalar_type() == torch::kFloat64, "dtype kept");
    check(!frozen.grad().defined(), "frozen param touched");
  }, 60);
  expect_all_ok(outcomes);
}

TEST(DistributedGrads, BroadcastMakesParametersEqual) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(20));
    torch::manual_seed(100 + rank);  // different initialisation on each rank
    std::vector<torch::Tensor> params{torch::randn({5, 3}, torch::requires_grad()), torch::randn({9}),
                                      torch::randn({2, 2}, torch::kFloat64)};
    torch::manual_seed(100);
    std::vector<torch::Tensor> rank0{torch::randn({5, 3}), torch::randn({9}), torch::randn({2, 2}, torch::kFloat64)};
    check(rank == 0 || !params[0].detach().equal(rank0[0]), "ranks started equal");
    broadcast_parameters(*dist, params, 0, 40);
    for (size_t i = 0; i < params.size(); ++i) check(params[i].detach().equal(rank0[i]), "param " + std::to_string(i));
    check(params[0].requires_grad(), "requires_grad kept");
  }, 60);
  expect_all_ok(outcomes);
}

TEST(DistributedFailure, LoneRankZeroNamesTheMissingRank) {
  auto outcomes = run_ranks(2, {0}, [](int) { DistributedContext::from_env(with_timeout(3)); }, 30);
  show(outcomes);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[0].message.find("rank 1 never joined"), std::string::npos) << outcomes[0].message;
  EXPECT_NE(outcomes[0].message.find("1 of 2 ranks joined"), std::string::npos) << outcomes[0].message;
  EXPECT_NE(outcomes[0].message.find("MASTER_ADDR"), std::string::npos) << outcomes[0].message;
  EXPECT_GE(outcomes[0].seconds, 2.5);
  EXPECT_LT(outcomes[0].seconds, 10.0);
}

TEST(DistributedFailure, LoneRankOneNamesRankZero) {
  auto outcomes = run_ranks(2, {1}, [](int) { DistributedContext::from_env(with_timeout(3)); }, 30);
  show(outcomes);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[0].message.find("rank 0 (the rendezvous store) was not reachable"), std::string::npos)
      << outcomes[0].message;
  EXPECT_LT(outcomes[0].seconds, 12.0);
}

// The ranks run a few all-reduces; `dying` exits abruptly before the third. The survivor must fail
// within the timeout with a message naming the dead rank.
std::vector<RankOutcome> peer_dies(int dying) {
  return run_ranks(2, [dying](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(3));
    for (int step = 0; step < 5; ++step) {
      if (step == 2 && rank == dying) _exit(3);
      auto t = torch::ones({11});
      dist->all_reduce_sum(t);
      check(t.equal(torch::full({11}, 2.0f)), "sum before the death");
    }
  }, 40);
}

TEST(DistributedFailure, SurvivorNamesDeadRankOne) {
  auto outcomes = peer_dies(1);
  show(outcomes);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].status, 3);
  EXPECT_EQ(outcomes[0].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[0].message.find("rank 1 is missing"), std::string::npos) << outcomes[0].message;
  EXPECT_LT(outcomes[0].seconds, 12.0) << describe(outcomes);
}

TEST(DistributedFailure, SurvivorNamesDeadRankZero) {
  auto outcomes = peer_dies(0);
  show(outcomes);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, 3);
  EXPECT_EQ(outcomes[1].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[1].message.find("rank 0 (which serves the rendezvous store) is gone"), std::string::npos)
      << outcomes[1].message;
  EXPECT_LT(outcomes[1].seconds, 12.0) << describe(outcomes);
}

TEST(DistributedFailure, StuckPeerTimesOutInsteadOfHanging) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(2));
    if (rank == 1) {
      std::this_thread::sleep_for(std::chrono::seconds(6));  // alive but never joins the collective
      _exit(0);
    }
    auto t = torch::ones({5});
    dist->all_reduce_sum(t);
  }, 30);
  show(outcomes);
  EXPECT_EQ(outcomes[0].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[0].message.find("rank 1 is missing"), std::string::npos) << outcomes[0].message;
  EXPECT_LT(outcomes[0].seconds, 5.5) << describe(outcomes);  // 2 s timeout + 1 s probe, not rank 1's 6 s
}

TEST(DistributedFailure, LaterCollectivesFailAtOnceAfterAFailure) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(3));
    // One good collective first: a rank that exits straight after its own side of the
    // rendezvous can break the other's still-connecting process group (a rendezvous error).
    auto warm = torch::ones({2});
    dist->all_reduce_sum(warm);
    if (rank == 1) _exit(3);
    auto t = torch::ones({4});
    try {
      dist->all_reduce_sum(t);
    } catch (const std::exception&) {
    }
    dist->barrier("after the failure");  // must throw immediately, without waiting again
  }, 30);
  show(outcomes);
  EXPECT_EQ(outcomes[0].status, 1) << describe(outcomes);
  EXPECT_NE(outcomes[0].message.find("rank 1 is missing"), std::string::npos) << outcomes[0].message;
  // The barrier rethrew the all-reduce's diagnostic instead of starting (and timing out) anew.
  EXPECT_NE(outcomes[0].message.find("all_reduce failed"), std::string::npos) << outcomes[0].message;
  EXPECT_EQ(outcomes[0].message.find("after the failure"), std::string::npos) << outcomes[0].message;
}

// Gloo in LibTorch 1.13 has no bf16 (nor int16, bool) collectives: broadcasts move their bits as
// a dtype it has, all-reduces of bf16/fp16 sum in float32; values arrive exactly.
TEST(DistributedContext, SixteenBitAndBoolCollectivesWorkOnGloo) {
  auto outcomes = run_ranks(2, [](int rank) {
    auto dist = DistributedContext::from_env(with_timeout(20));
    // Distinct per rank in every dtype (bool included): element i is i mod (rank + 2), plus 3·rank.
    auto values = [](int r, torch::ScalarType dtype) {
      const auto base = torch::arange(37, torch::kInt64).remainder(r + 2);
      return dtype == torch::kBool ? base.eq(0) : (base + 3 * r).to(dtype);
    };
    for (auto dtype : {torch::kBFloat16, torch::kFloat16, torch::kInt16, torch::kBool}) {
      auto mine = values(rank, dtype);
      check(rank == 0 || !mine.equal(values(0, dtype)), "ranks started equal");
      std::vector<torch::Tensor> one{mine};
      dist->broadcast(one, 0, "broadcast(test)");
      check(mine.equal(values(0, dtype)), std::string("broadcast of ") + c10::toString(dtype));
    }
    for (auto dtype : {torch::kBFloat16, torch::kFloat16}) {
      auto t = (torch::arange(11, torch::kFloat32) * 0.25 + rank).to(dtype);  // exact in both dtypes
      dist->all_reduce_sum(t, "all_reduce(test)");
      check(t.equal((torch::arange(11, torch::kFloat32) * 0.5 + 1).to(dtype)),
            std::string("all_reduce of ") + c10::toString(dtype));
    }
    dist->barrier("end");
  }, 60);
  expect_all_ok(outcomes);
}

// A collective the backend refuses on every rank names the backend's reason (here Gloo's
// "Invalid scalar type" for an int16 sum), not "the ranks issued different collectives".
TEST(DistributedFailure, RefusedCollectiveReportsTheBackendsReason) {
  auto outcomes = run_ranks(2, [](int) {
    auto dist = DistributedContext::from_env(with_timeout(10));
    auto t = torch::ones({3}, torch::kInt16);
    dist->all_reduce_sum(t, "all_reduce(int16)");
  }, 40);
  show(outcomes);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.status, 1) << describe(outcomes);
    EXPECT_NE(o.message.find("Invalid scalar type"), std::string::npos) << o.message;
    EXPECT_NE(o.message.find("backend refused it"), std::string::npos) << o.message;
    EXPECT_NE(o.message.find("3 Short values"), std::string::npos) << o.message;
    EXPECT_EQ(o.message.find("different collectives"), std::string::npos) << o.message;
    EXPECT_LT(o.seconds, 9.0) << "a refusal must not wait for the timeout";
  }
}

TEST(DistributedContext, BadBackendIsAUsageError) {
  auto outcomes = run_ranks(2, {0}, [](int) {
    config::DistributedConfig config;
    config.backend = "mpi";
    DistributedContext::from_env(config);
  }, 30);
  EXPECT_EQ(outcomes[0].status, 1);
  EXPECT_NE(outcomes[0].message.find("distributed.backend"), std::string::npos) << outcomes[0].message;
}

}  // namespace
}  // namespace axolotl::train
