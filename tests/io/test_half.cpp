// bf16 / f16 <-> f32 conversions: exhaustive round trips, round-to-nearest-even by construction,
// and agreement with torch's conversions (tests/reference/half_reference.py) when Python is there.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "axolotl/io/half.h"
#include "test_support.h"

namespace axolotl::io {
namespace {

TEST(Half, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = f16_to_f32(static_cast<uint16_t>(h));
    bool nan = (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(f)) << h;
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << h;
    } else {
      ASSERT_EQ(f32_to_f16(f), h) << h;
    }
  }
}

TEST(Half, Bf16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = bf16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_bf16(f), h) << h;
  }
}

TEST(Half, KnownValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(f32_to_f16(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // the tie rounds to even: infinity
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);          // tie to even: 0
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -26)), 0x0001);          // 1.5 * 2^-25 -> 1
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);          // 1.5 units: tie to even 2
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.0f, -24) + std::ldexp(1.0f, -25)), 0x0400);  // into normals
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(INFINITY), 0x7C00);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F808001u)), 0x3F81);
  EXPECT_EQ(f32_to_bf16(f32_from_bits(0x7F7FFFFFu)), 0x7F80);  // max float rounds to inf
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
}

// For random finite floats in f16 range, the result is a nearest f16, ties to an even mantissa.
TEST(Half, F16IsNearestTiesToEven) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    float x = f32_from_bits(rng());
    if (!std::isfinite(x) || std::fabs(x) > 65504.0f) continue;
    uint16_t h = f32_to_f16(x);
    double err = std::fabs(static_cast<double>(f16_to_f32(h)) - x);
    for (int d : {-1, 1}) {
      uint16_t n = static_cast<uint16_t>((h & 0x7FFF) + d);
      if ((h & 0x7FFF) == 0 && d < 0) continue;
      if (n >= 0x7C00) continue;
      n = static_cast<uint16_t>(n | (h & 0x8000));
      double nerr = std::fabs(static_cast<double>(f16_to_f32(n)) - x);
      ASSERT_LE(err, nerr) << x;
      if (err == nerr) {
        ASSERT_EQ(h & 1, 0) << x;
      }
    }
  }
}

TEST(Half, AgreesWithTorch) {
  std::string py = axolotl::testing::python();
  if (py.empty()) GTEST_SKIP() << "no Python with torch";
  axolotl::testing::TempDir dir;
  std::mt19937 rng(3);
  std::vector<uint32_t> bits(20000);
  for (auto& b : bits) b = rng();
  for (uint32_t special : {0u, 0x80000000u, 0x7F800000u, 0x477FF000u, 0x33000000u, 0x3F808000u, 0x7F7FFFFFu}) bits.push_back(special);
  std::string in((dir / "in.bin").string()), out((dir / "out.bin").string());
  axolotl::testing::write_file(in, std::string(reinterpret_cast<const char*>(bits.data()), bits.size() * 4));
  std::string script = (axolotl::testing::source_dir() / "tests" / "reference" / "half_reference.py").string();
  std::string cmd = py + " " + script + " " + in + " " + out + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "reference script failed (torch or numpy missing?)";
  std::string ref = axolotl::testing::read_file(out);
  ASSERT_EQ(ref.size(), bits.size() * 4);
  const auto* r = reinterpret_cast<const uint16_t*>(ref.data());
  for (size_t i = 0; i < bits.size(); ++i) {
    float x = f32_from_bits(bits[i]);
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(x))));
      EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(x))));
      continue;
    }
    ASSERT_EQ(f32_to_f16(x), r[i]) << "f16 of bits " << std::hex << bits[i];
    ASSERT_EQ(f32_to_bf16(x), r[bits.size() + i]) << "bf16 of bits " << std::hex << bits[i];
  }
}

}  // namespace
}  // namespace axolotl::io
