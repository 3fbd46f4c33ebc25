// GGUF writer -> reader round trip: header fields, value types, alignment and consecutive offsets,
// the temporary-then-rename write, and the reader's rejection of damaged files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "axolotl/export/gguf_reader.h"
#include "axolotl/export/gguf_writer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::gguf {
namespace {

TensorEntry f32_tensor(const std::string& name, std::vector<int64_t> ne, float base) {
  TensorEntry t;
  t.name = name;
  t.ne = std::move(ne);
  t.fill = [n = t.numel(), base](uint8_t* dst) {
    for (int64_t i = 0; i < n; ++i) {
      float v = base + static_cast<float>(i);
      std::memcpy(dst + 4 * i, &v, 4);
    }
  };
  return t;
}

TEST(GgufFile, WriterReaderRoundTrip) {
  testing::TempDir dir;
  const auto path = (dir / "m.gguf").string();
  GgufWriter w(path);
  w.set("general.architecture", Value::str("llama"));
  w.set("llama.block_count", Value::u32(2));
  w.set("llama.rope.freq_base", Value::f32(10000.f));
  w.set("tokenizer.ggml.add_bos_token", Value::boolean(true));
  w.set("tokenizer.ggml.tokens", Value::strs({"<unk>", "<s>", "\xe2\x96\x81hi"}));
  w.set("tokenizer.ggml.scores", Value::f32s({0.f, -1.5f, 2.25f}));
  w.set("tokenizer.ggml.token_type", Value::i32s({2, 3, 1}));
  w.set("big", Value::u64(1ull << 40));
  w.add_tensor(f32_tensor("a", {3}, 1.f));  // 12 bytes: padded to 32
  w.add_tensor(f32_tensor("b", {2, 5}, 100.f));
  EXPECT_THROW(w.set("big", Value::u32(1)), Error);
  EXPECT_THROW(w.add_tensor(f32_tensor("a", {1}, 0.f)), Error);
  const uint64_t size = w.write();
  EXPECT_EQ(size, std::filesystem::file_size(path));
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename(), "m.gguf") << "temporary file left behind";
  }

  auto f = GgufFile::open(path);
  EXPECT_EQ(f->version(), 3u);
  ASSERT_EQ(f->metadata().size(), 8u);
  EXPECT_EQ(f->metadata()[0].first, "general.architecture");
  EXPECT_EQ(f->at("general.architecture").as_string(), "llama");
  EXPECT_EQ(f->at("llama.block_count").type, ValueType::kUint32);
  EXPECT_EQ(f->at("llama.block_count").as_int(), 2);
  EXPECT_EQ(f->at("llama.rope.freq_base").type, ValueType::kFloat32);
  EXPECT_EQ(f->at("tokenizer.ggml.add_bos_token").type, ValueType::kBool);
  EXPECT_EQ(f->at("tokenizer.ggml.tokens").strings[2], "\xe2\x96\x81hi");
  EXPECT_EQ(f->at("tokenizer.ggml.scores").floats[2], 2.25);
  EXPECT_EQ(f->at("tokenizer.ggml.token_type").elem, ValueType::kInt32);
  EXPECT_EQ(static_cast<uint64_t>(f->at("big").as_int()), 1ull << 40);
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->data_start() % 32, 0u);
  EXPECT_EQ(f->tensors()[0].offset, 0u);
  EXPECT_EQ(f->tensors()[1].offset, 32u);
  EXPECT_EQ(f->tensors()[1].ne, (std::vector<int64_t>{2, 5}));
  auto b = f->dequantize(f->tensors()[1]);
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b[9], 109.f);
  EXPECT_EQ(f->file_size(), f->data_start() + 32 + 64);  // the last tensor is padded too
}

TEST(GgufFile, RejectsDamagedFiles) {
  testing::TempDir dir;
  const auto path = (dir / "m.gguf").string();
  GgufWriter w(path);
  w.set("general.architecture", Value::str("llama"));
  w.add_tensor(f32_tensor("a", {64}, 0.f));
  w.write();
  const std::string good = testing::read_file(path);

  auto damaged = [&](std::string bytes) {
    const auto p = (dir / "bad.gguf").string();
    testing::write_file(p, bytes);
    return p;
  };
  EXPECT_THROW(GgufFile::open(damaged("GGUX" + good.substr(4))), IoError);
  std::string v4 = good;
  v4[4] = 4;
  EXPECT_THROW(GgufFile::open(damaged(v4)), IoError);
  EXPECT_THROW(GgufFile::open(damaged(good.substr(0, good.size() - 10))), IoError);  // truncated data
  EXPECT_THROW(GgufFile::open(damaged(good.substr(0, 40))), IoError);                // truncated header
  EXPECT_NO_THROW(GgufFile::open(damaged(good)));
}

// A write that fails part-way (here the second tensor's conversion throws) leaves no partial file and no
// temporary, and an earlier file of that name as it was.
TEST(GgufFile, FailedWriteLeavesNothingHalfWritten) {
  testing::TempDir dir;
  const auto path = (dir / "m.gguf").string();
  testing::write_file(path, "old");
  GgufWriter w(path);
  w.set("general.architecture", Value::str("llama"));
  w.add_tensor(f32_tensor("a", {64}, 1.f));
  auto bad = f32_tensor("b", {64}, 1.f);
  bad.fill = [](uint8_t*) { throw Error(Diagnostic{{}, "b", "conversion failed", {}, {}, {}}); };
  w.add_tensor(bad);
  EXPECT_THROW(w.write(), Error);
  EXPECT_EQ(testing::read_file(path), "old");
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) n += e.path().filename() != "m.gguf";
  EXPECT_EQ(n, 0u) << "temporary file left behind";
}

TEST(GgufFile, RowsMustFitTheBlockSize) {
  GgufWriter w("unused.gguf");
  TensorEntry t;
  t.name = "blk.0.ffn_down.weight";
  t.ne = {172, 64};
  t.type = GgmlType::kQ4_K;
  EXPECT_THROW(w.add_tensor(t), Error);
}

}  // namespace
}  // namespace axolotl::gguf
