// LR schedules against tests/reference/lr_schedules.py (transformers/axolotl lambdas through LambdaLR),
// base lr 1e-3, warmup 3, total 10, steps 0..11.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "axolotl/train/lr_scheduler.h"

namespace axolotl::train {
namespace {

using config::Scheduler;

void expect_lrs(const LrScheduler& s, const std::vector<double>& golden) {
  for (size_t i = 0; i < golden.size(); ++i)
    EXPECT_NEAR(s.lr(static_cast<int64_t>(i)), golden[i], 1e-15) << "step " << i;
}

TEST(LrScheduler, WarmupFromRatioRoundsUp) {
  EXPECT_EQ(warmup_steps_for(0, 0.25, 10), 3);  // ceil(2.5)
  EXPECT_EQ(warmup_steps_for(0, 0.1, 10), 1);
  EXPECT_EQ(warmup_steps_for(5, 0.5, 10), 5);   // warmup_steps wins when > 0
  EXPECT_EQ(warmup_steps_for(0, 0.0, 10), 0);
}

TEST(LrScheduler, Constant) {
  expect_lrs(LrScheduler(Scheduler::kConstant, 1e-3, 3, 10), std::vector<double>(12, 0.001));
}

TEST(LrScheduler, ConstantWithWarmup) {
  expect_lrs(LrScheduler(Scheduler::kConstantWithWarmup, 1e-3, 3, 10),
             {0.0, 0.0003333333333333333, 0.0006666666666666666, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001,
              0.001, 0.001, 0.001});
}

TEST(LrScheduler, Linear) {
  expect_lrs(LrScheduler(Scheduler::kLinear, 1e-3, 3, 10),
             {0.0, 0.0003333333333333333, 0.0006666666666666666, 0.001, 0.0008571428571428571,
              0.0007142857142857143, 0.0005714285714285714, 0.00042857142857142855, 0.0002857142857142857,
              0.00014285714285714284, 0.0, 0.0});
}

TEST(LrScheduler, CosineHalfCycleNotClampedPastTheEnd) {
  expect_lrs(LrScheduler(Scheduler::kCosine, 1e-3, 3, 10),
             {0.0, 0.0003333333333333333, 0.0006666666666666666, 0.001, 0.0009504844339512095,
              0.0008117449009293668, 0.0006112604669781572, 0.00038873953302184284, 0.00018825509907063325,
              4.9515566048790485e-05, 0.0, 4.951556604879043e-05});
}

TEST(LrScheduler, CosineWithMinLrRatio) {
  expect_lrs(LrScheduler(Scheduler::kCosine, 1e-3, 3, 10, 0.1),
             {0.0, 0.0003333333333333333, 0.0006666666666666666, 0.001, 0.0009554359905560886,
              0.0008305704108364302, 0.0006501344202803415, 0.0004498655797196586, 0.00026942958916356994,
              0.00014456400944391147, 0.0001, 0.0001445640094439114});
}

// cosine_min_lr_ratio 0.1 with cosine_constant_lr_ratio 0.6: the floor from step int(10 * 0.6) = 6 on.
TEST(LrScheduler, CosineDecayThenConstant) {
  LrScheduler s(Scheduler::kCosine, 1e-3, 3, 10, 0.1);
  s.set_constant_lr_ratio(0.6);
  expect_lrs(s, {0.0, 0.0003333333333333333, 0.0006666666666666666, 0.001, 0.0007750000000000001,
                 0.00032500000000000015, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001});
}

TEST(LrScheduler, JaggedRestartsAroundCosine) {
  LrScheduler s(Scheduler::kCosine, 1e-3, 3, 10);
  s.set_jagged_restarts(4, 2, 1, 0.001);
  expect_lrs(s, {0.0003333333333333333, 0.0006666666666666666, 0.001, 9.504844339512095e-07, 0.00040627832291514806,
                 0.0006112604669781572, 0.00038873953302184284, 1.8825509907063326e-07, 2.4782540807419633e-05, 0.0,
                 4.951556604879043e-05, 1.8825509907063315e-07});
}

TEST(LrScheduler, JaggedRestartsWithAnnealAroundLinear) {
  LrScheduler s(Scheduler::kLinear, 1e-3, 0, 10);
  s.set_jagged_restarts(4, 1, 2, 0.1);
  expect_lrs(s, {0.0009000000000000001, 0.0008, 0.00038500000000000003, 5.9999999999999995e-05, 0.0005, 0.0004,
                 0.000165, 2e-05, 0.0001, 0.0, 0.0, 0.0});
}

TEST(LrScheduler, NoWarmupStartsAtFullRate) {
  LrScheduler s(Scheduler::kLinear, 2e-4, 0, 4);
  EXPECT_DOUBLE_EQ(s.lr(0), 2e-4);
  EXPECT_DOUBLE_EQ(s.lr(2), 1e-4);
  EXPECT_DOUBLE_EQ(s.lr(4), 0.0);
}

}  // namespace
}  // namespace axolotl::train
