#include <gtest/gtest.h>
TEST(Probe, Torch) { EXPECT_EQ(torch::ones({3}).sum().item<int>(), 3); }
