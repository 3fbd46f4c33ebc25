// Throughput of the safetensors writer and reader on a ~200 MB file (label: slow). Prints MB/s for
// write (streamed through fill), open (map + validate) and a pass touching every byte. Page cache
// is warm (the file was just written); the numbers are the format's overhead, not disk speed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "axolotl/io/safetensors.h"
#include "test_support.h"

namespace axolotl::io {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(SafetensorsBench, ReadWriteThroughput200MB) {
  axolotl::testing::TempDir dir;
  const int kTensors = 50;
  const int64_t kRows = 1024, kCols = 1024;  // 50 x 4 MiB F32 = 200 MiB
  std::vector<TensorSource> sources;
  for (int i = 0; i < kTensors; ++i) {
    sources.push_back({"layers." + std::to_string(i) + ".weight", DType::kF32, {kRows, kCols}, [i](uint8_t* dst) {
                         auto* w = reinterpret_cast<uint32_t*>(dst);
                         for (int64_t k = 0; k < kRows * kCols; ++k) w[k] = static_cast<uint32_t>(k * 2654435761u + i);
                       }});
  }
  std::string path = (dir / "big.safetensors").string();
  auto t0 = std::chrono::steady_clock::now();
  write_safetensors(path, sources);
  double t_write = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  auto f = SafetensorsFile::open(path);
  double t_open = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  uint64_t sum = 0;
  for (const TensorInfo& t : f->tensors()) {
    const uint8_t* p = f->data(t);
    for (uint64_t k = 0; k + 8 <= t.nbytes(); k += 8) {
      uint64_t v;
      std::memcpy(&v, p + k, 8);
      sum += v;
    }
  }
  double t_touch = seconds_since(t0);
  double mb = static_cast<double>(f->file_size()) / 1e6;
  std::printf("file %.1f MB: write %.2f s (%.0f MB/s), open+validate %.4f s, touch all bytes %.2f s (%.0f MB/s)\n",
              mb, t_write, mb / t_write, t_open, t_touch, mb / t_touch);
  EXPECT_EQ(f->tensors().size(), static_cast<size_t>(kTensors));
  EXPECT_NE(sum, 0u);
}

}  // namespace
}  // namespace axolotl::io
