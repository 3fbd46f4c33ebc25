// NF4 quantization against an independent re-implementation written here (brute-force nearest code,
// one plain loop), error statistics on N(0,1) weights, storage ratio, and the dynamic map against
// torch's create_dynamic_map (tests/reference/peft_reference.py writes tests/assets/adapters/).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <random>

#include "axolotl/adapters/nf4.h"
#include "axolotl/adapters/quantized_weight.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace nf4 = axolotl::adapters::nf4;
using axolotl::adapters::Nf4Weight;

namespace {

// Brute force: the first index with the smallest |v - code| (ties -> lower index).
template <typename Table>
int brute_nearest(double v, const Table& table) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(table.size()); ++i) {
    if (std::fabs(v - table[i]) < std::fabs(v - table[best])) best = i;
  }
  return best;
}

std::vector<float> normal(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = dist(rng);
  return x;
}

// The reference quantizer: per element, its block's max |x|, divide, clamp, brute-force code.
std::vector<int> reference_codes(const std::vector<float>& x, int blocksize, std::vector<float>* absmax) {
  const size_t blocks = (x.size() + blocksize - 1) / blocksize;
  absmax->assign(blocks, 0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    float m = 0.0f;
    for (size_t j = b * blocksize; j < std::min(x.size(), (b + 1) * blocksize); ++j) m = std::max(m, std::fabs(x[j]));
    (*absmax)[b] = std::max(m, 1e-38f);
  }
  std::vector<int> codes;
  for (size_t j = 0; j < x.size(); ++j) {
    float v = x[j] / (*absmax)[j / blocksize];
    v = std::min(1.0f, std::max(-1.0f, v));
    codes.push_back(brute_nearest(v, nf4::kCode));
  }
  return codes;
}

}  // namespace

TEST(Nf4, CodesAndPackingMatchBruteForce) {
  for (int blocksize : {64, 32, 256}) {
    for (int64_t n : {int64_t{1}, int64_t{63}, int64_t{4097}, int64_t{64 * 40}}) {
      auto x = normal(n, static_cast<unsigned>(n + blocksize));
      std::vector<float> absmax;
      const auto codes = reference_codes(x, blocksize, &absmax);
      const auto q = nf4::quantize(x.data(), n, blocksize, /*double_quant=*/false);
      ASSERT_EQ(q.absmax, absmax);
      ASSERT_EQ(static_cast<int64_t>(q.packed.size()), (n + 1) / 2);
      for (int64_t j = 0; j < n; ++j) {
        const int got = (j % 2 == 0) ? q.packed[j / 2] >> 4 : q.packed[j / 2] & 0xF;
        ASSERT_EQ(got, codes[j]) << "element " << j << " of " << n;
      }
      if (n % 2 == 1) {
        EXPECT_EQ(q.packed.back() & 0xF, 7) << "odd count pads with code 7";
      }
    }
  }
}

TEST(Nf4, MidpointsGoToTheLowerCode) {
  for (int i = 0; i + 1 < 16; ++i) {
    const float lo = nf4::kCode[i], hi = nf4::kCode[i + 1];
    const float mid = (lo + hi) / 2.0f;  // only midpoints that float32 represents exactly are tested
    if (static_cast<double>(mid) * 2.0 != static_cast<double>(lo) + static_cast<double>(hi)) continue;
    EXPECT_EQ(nf4::nearest_code(mid), i) << "midpoint of codes " << i << " and " << i + 1;
    EXPECT_EQ(nf4::nearest_code(std::nextafter(mid, 2.0f)), i + 1);
  }
  EXPECT_EQ(nf4::nearest_code(5.0f), 15);
  EXPECT_EQ(nf4::nearest_code(-5.0f), 0);
  EXPECT_EQ(nf4::nearest_code(NAN), 7);
}

TEST(Nf4, DoubleQuantizationMatchesBruteForce) {
  auto x = normal(64 * 700, 7);  // 700 blocks -> 3 nested blocks (last partial)
  const auto q = nf4::quantize(x.data(), static_cast<int64_t>(x.size()), 64, /*double_quant=*/true);
  std::vector<float> absmax;
  reference_codes(x, 64, &absmax);
  double sum = 0;
  for (float a : absmax) sum += a;
  const float offset = static_cast<float>(sum / absmax.size());
  EXPECT_EQ(q.nested_absmax.offset, offset);
  ASSERT_EQ(q.nested_absmax.absmax2.size(), 3u);
  const auto& dyn = nf4::dynamic_map();
  for (size_t b = 0; b < 3; ++b) {
    float m = 0;
    for (size_t i = b * 256; i < std::min(absmax.size(), (b + 1) * 256); ++i) m = std::max(m, std::fabs(absmax[i] - offset));
    EXPECT_EQ(q.nested_absmax.absmax2[b], m);
  }
  for (size_t i = 0; i < absmax.size(); ++i) {
    const float v = (absmax[i] - offset) / q.nested_absmax.absmax2[i / 256];
    ASSERT_EQ(q.nested_absmax.q[i], brute_nearest(std::min(1.0f, std::max(-1.0f, v)), dyn)) << i;
  }
  // Recover: dyn[q] * absmax2 + offset, within the 8-bit map's resolution of absmax2.
  const auto recovered = nf4::block_absmax(q);
  for (size_t i = 0; i < absmax.size(); ++i) {
    const float expect = dyn[q.nested_absmax.q[i]] * q.nested_absmax.absmax2[i / 256] + offset;
    ASSERT_EQ(recovered[i], expect);
    EXPECT_NEAR(recovered[i], absmax[i], 0.02 * absmax[i]);
  }
}

TEST(Nf4, DynamicMapShapeAndTorchReference) {
  const auto& dyn = nf4::dynamic_map();
  EXPECT_GT(dyn.front(), -1.0f);  // -(mean of the two last boundaries of i = 6) ≈ -0.993
  EXPECT_LT(dyn.front(), -0.99f);
  EXPECT_TRUE(std::is_sorted(dyn.begin(), dyn.end()));
  EXPECT_EQ(dyn.back(), 1.0f);
  EXPECT_EQ(std::count(dyn.begin(), dyn.end(), 0.0f), 1);
  // torch 1.13's values (peft_reference.py); its vectorised linspace may differ by one ulp.
  const auto path = axolotl::testing::source_dir() / "tests/assets/adapters/dynamic_map.f32";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << "run tests/reference/peft_reference.py to create " << path;
  std::array<float, 256> ref{};
  in.read(reinterpret_cast<char*>(ref.data()), sizeof(ref));
  ASSERT_TRUE(in.good());
  for (size_t i = 0; i < 256; ++i) {
    EXPECT_LE(std::fabs(ref[i] - dyn[i]), std::fabs(ref[i]) * 2.5e-7f) << "entry " << i;
  }
}

TEST(Nf4, QuantizationErrorOnNormalWeights) {
  // N(0,1) in blocks of 64: absmax ≈ 2.4, NF4 spacing near 0 ≈ 0.08·absmax. Expected RMS error
  // ≈ 0.1·σ (QLoRA paper, Fig./Table of NF4 vs FP4 reconstruction); bound it at [0.05, 0.15].
  const int64_t n = 256 * 1024;
  auto x = normal(n, 11);
  const auto q = nf4::quantize(x.data(), n, 64, true);
  std::vector<float> y(static_cast<size_t>(n));
  nf4::dequantize(q, y.data());
  double se = 0, max_rel = 0;
  for (int64_t b = 0; b < n / 64; ++b) {
    float absmax = 0;
    for (int64_t i = b * 64; i < (b + 1) * 64; ++i) absmax = std::max(absmax, std::fabs(x[i]));
    for (int64_t i = b * 64; i < (b + 1) * 64; ++i) {
      se += (x[i] - y[i]) * (x[i] - y[i]);
      max_rel = std::max(max_rel, static_cast<double>(std::fabs(x[i] - y[i]) / absmax));
    }
  }
  const double rms = std::sqrt(se / n);
  EXPECT_GT(rms, 0.05);
  EXPECT_LT(rms, 0.15);
  // Half the widest code gap (-0.696 - -1) / 2 ≈ 0.152 of the block's absmax, plus the 8-bit absmax error.
  EXPECT_LT(max_rel, 0.17);
}

TEST(Nf4, StorageIsAQuarterOfBf16) {
  const int64_t out = 512, in = 1024;
  auto w = torch::randn({out, in}, torch::kBFloat16);
  const auto q = Nf4Weight::quantize(w, 64, /*double_quant=*/true);
  const double ratio = static_cast<double>(q.storage_bytes()) / (2.0 * out * in);
  RecordProperty("nf4_over_bf16", std::to_string(ratio));
  std::printf("NF4 storage / bf16 bytes = %.4f (%lld / %lld)\n", ratio, static_cast<long long>(q.storage_bytes()),
              static_cast<long long>(2 * out * in));
  EXPECT_LE(ratio, 0.27);
  const auto plain = Nf4Weight::quantize(w, 64, /*double_quant=*/false);
  EXPECT_GT(plain.storage_bytes(), q.storage_bytes());
}

TEST(Nf4, TensorDequantizeMatchesCore) {
  auto w = torch::randn({37, 129});  // odd element count
  const auto t = Nf4Weight::quantize(w, 64, true);
  const auto core = nf4::quantize(w.contiguous().data_ptr<float>(), w.numel(), 64, true);
  std::vector<float> ref(static_cast<size_t>(w.numel()));
  nf4::dequantize(core, ref.data());
  const auto got = t.dequantize(torch::kFloat32).contiguous();
  ASSERT_EQ(got.sizes(), w.sizes());
  EXPECT_TRUE(torch::equal(got.view({-1}), torch::from_blob(ref.data(), {w.numel()})));
  // 16-bit dtypes are written directly: the same as the float32 values cast, bit for bit.
  for (auto dtype : {torch::kBFloat16, torch::kHalf}) {
    const auto half = t.dequantize(dtype);
    EXPECT_EQ(half.scalar_type(), dtype);
    EXPECT_TRUE(torch::equal(half, got.to(dtype))) << c10::toString(dtype);
  }
  // Other blocksizes and a matrix split over several threads' ranges.
  auto big = torch::randn({300, 1001});
  for (int block : {32, 256, 4096}) {
    const auto q = Nf4Weight::quantize(big, block, false);
    const auto c = nf4::quantize(big.contiguous().data_ptr<float>(), big.numel(), block, false);
    std::vector<float> r(static_cast<size_t>(big.numel()));
    nf4::dequantize(c, r.data());
    EXPECT_TRUE(torch::equal(q.dequantize(torch::kFloat32).view({-1}), torch::from_blob(r.data(), {big.numel()})))
        << "blocksize " << block;
    EXPECT_TRUE(torch::equal(q.dequantize(torch::kBFloat16), q.dequantize(torch::kFloat32).to(torch::kBFloat16)));
  }
}

TEST(Nf4, RejectsBadBlocksize) {
  std::vector<float> x(100, 1.0f);
  EXPECT_THROW(nf4::quantize(x.data(), 100, 48, false), axolotl::Error);
}
