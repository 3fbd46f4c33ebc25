// Quantizers against the independent numpy port of ggml's reference (tests/reference/gguf_reference.py,
// golden tests/assets/export/quant_golden.json), and dequantized round trips within each format's bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/export/ggml_type.h"
#include "axolotl/export/quantize.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::gguf {
namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

std::vector<uint8_t> quantize(GgmlType type, const std::vector<float>& x, int64_t cols, int threads = 1) {
  std::vector<uint8_t> out(type_nbytes(type, static_cast<int64_t>(x.size())));
  convert_rows(type, x.data(), static_cast<int64_t>(x.size()) / cols, cols, out.data(), threads);
  return out;
}

TEST(Quantize, BlocksEqualNumpyReference) {
  auto golden = nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/export/quant_golden.json"));
  const std::pair<const char*, GgmlType> kinds[] = {{"q8_0", GgmlType::kQ8_0}, {"q4_0", GgmlType::kQ4_0},
                                                    {"q5_0", GgmlType::kQ5_0}, {"q5_1", GgmlType::kQ5_1},
                                                    {"q4_k", GgmlType::kQ4_K}, {"q5_k", GgmlType::kQ5_K},
                                                    {"q6_k", GgmlType::kQ6_K}};
  ASSERT_GE(golden["cases"].size(), 8u);
  for (const auto& c : golden["cases"]) {
    auto raw = from_hex(c["input_f32_hex"].get<std::string>());
    std::vector<float> x(raw.size() / 4);
    std::memcpy(x.data(), raw.data(), raw.size());
    for (const auto& [key, type] : kinds) {
      auto expected = from_hex(c[key].get<std::string>());
      auto got = quantize(type, x, 256);
      ASSERT_EQ(got.size(), expected.size()) << c["name"] << " " << key;
      size_t first = 0;
      while (first < got.size() && got[first] == expected[first]) ++first;
      EXPECT_EQ(first, got.size()) << c["name"] << " " << key << ": first differing byte " << first;
    }
  }
}

double max_abs(const float* x, int n) {
  double m = 0;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(x[i])));
  return m;
}

// Error bound per block: `steps` quantization steps of size amax/`levels` (the fp16 rounding of d is in
// the slack). Q8_0 rounds to nearest (half a step); Q4_0/Q5_0 clamp the side opposite the maximum to
// 7/8 resp. 15/16 of it (one step); the K-quants add the rounding of their sub-block scales (and mins) to 6 or 8 bits of the
// super-block maximum: about 7.5·d_scale + d_min/2 (Q4_K) and 16·d_scale (Q6_K).
TEST(Quantize, RoundTripWithinFormatBounds) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.f, 0.05f);
  std::vector<float> x(4 * 512);
  for (auto& v : x) v = normal(rng);
  x[100] = 1.5f;  // an outlier block
  struct Case {
    GgmlType type;
    int block;
    double levels;
    double steps;
    double super_share;  // K-quants: error from the 6/8-bit sub-block scales, a share of the super-block max
  };
  for (const auto& c : {Case{GgmlType::kQ8_0, 32, 127, 0.5, 0}, Case{GgmlType::kQ4_0, 32, 8, 1.0, 0},
                        Case{GgmlType::kQ5_0, 32, 16, 1.0, 0}, Case{GgmlType::kQ5_1, 32, 31, 1.0, 0},
                        Case{GgmlType::kQ4_K, 32, 7.5, 1.0, 1.0 / 40}, Case{GgmlType::kQ5_K, 32, 15.5, 1.0, 1.0 / 40},
                        Case{GgmlType::kQ6_K, 16, 32, 1.0, 1.0 / 128}}) {
    auto q = quantize(c.type, x, 512);
    std::vector<float> y(x.size());
    ASSERT_TRUE(dequantize_row(c.type, q.data(), y.data(), static_cast<int64_t>(x.size())));
    double worst = 0;
    for (size_t b = 0; b < x.size(); b += c.block) {
      const double amax = max_abs(&x[b], c.block);
      const double amax_super = max_abs(&x[b / 256 * 256], 256);
      const double bound = c.steps * amax / c.levels + c.super_share * amax_super + amax * 2e-3 + 1e-7;
      for (int i = 0; i < c.block; ++i) {
        const double err = std::fabs(static_cast<double>(y[b + i]) - x[b + i]);
        worst = std::max(worst, err / bound);
        ASSERT_LE(err, bound) << type_name(c.type) << " element " << b + i;
      }
    }
    EXPECT_GT(worst, 0.05) << type_name(c.type) << ": suspiciously exact";
  }
}

TEST(Quantize, ThreadedEqualsSingleThreaded) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(64 * 512);
  for (auto& v : x) v = normal(rng);
  for (auto type : {GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kF16}) {
    EXPECT_EQ(quantize(type, x, 512, 1), quantize(type, x, 512, 4)) << type_name(type);
  }
}

TEST(Quantize, RejectsRowsNotAMultipleOfTheBlock) {
  std::vector<float> x(172 * 2);
  std::vector<uint8_t> out(1024);
  EXPECT_THROW(convert_rows(GgmlType::kQ4_K, x.data(), 2, 172, out.data()), Error);
}

TEST(GgmlType, FileTypesAndIds) {
  EXPECT_EQ(static_cast<uint32_t>(*parse_file_type("q4_k_m")), 15u);
  EXPECT_EQ(static_cast<uint32_t>(*parse_file_type("q8_0")), 7u);
  EXPECT_EQ(static_cast<uint32_t>(*parse_file_type("bf16")), 32u);
  EXPECT_FALSE(parse_file_type("q3_k"));
  EXPECT_EQ(type_nbytes(GgmlType::kQ4_K, 512), 288u);
  EXPECT_EQ(type_nbytes(GgmlType::kQ6_K, 256), 210u);
  EXPECT_EQ(static_cast<uint32_t>(GgmlType::kBF16), 30u);
}

}  // namespace
}  // namespace axolotl::gguf
