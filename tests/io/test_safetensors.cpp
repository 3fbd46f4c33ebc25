// safetensors reader and writer: upstream byte vectors, round trips of every dtype, writer rules
// and atomic writes. Expected bytes come from huggingface/safetensors safetensors/src/tensor.rs tests.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <filesystem>

#include "axolotl/io/half.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::io {
namespace {
namespace fs = std::filesystem;
using axolotl::testing::read_file;
using axolotl::testing::TempDir;
using axolotl::testing::write_file;

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

std::string f32_bytes(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}

std::string write_to_string(const TempDir& dir, const std::vector<TensorSource>& tensors,
                            const std::map<std::string, std::string>& metadata) {
  fs::path p = dir / "out.safetensors";
  write_safetensors(p.string(), tensors, metadata);
  return read_file(p);
}

TEST(SafetensorsDType, NamesBitsAndOrder) {
  EXPECT_EQ(dtype_name(DType::kBF16), "BF16");
  EXPECT_EQ(dtype_name(DType::kF8_E4M3FNUZ), "F8_E4M3FNUZ");
  DType d{};
  for (int i = 0; i <= static_cast<int>(DType::kU64); ++i) {
    auto dt = static_cast<DType>(i);
    ASSERT_TRUE(parse_dtype(dtype_name(dt), &d));
    EXPECT_EQ(d, dt);
  }
  EXPECT_FALSE(parse_dtype("f32", &d));  // case-sensitive
  EXPECT_FALSE(parse_dtype("F128", &d));
  EXPECT_EQ(dtype_bits(DType::kF4), 4u);
  EXPECT_EQ(dtype_bits(DType::kF6_E3M2), 6u);
  EXPECT_EQ(dtype_size(DType::kF4), 0u);
  EXPECT_EQ(dtype_size(DType::kC64), 8u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_LT(DType::kBF16, DType::kI32);  // enum order of FORMATS.md §1.2
}

// tensor.rs test_serialization: "attn.0" F32 [1,2,3], no metadata, header of exactly 64 bytes.
TEST(SafetensorsWriter, MatchesUpstreamSerializationVector) {
  TempDir dir;
  std::string data = f32_bytes({0, 1, 2, 3, 4, 5});
  std::string out = write_to_string(dir, {tensor_from_bytes("attn.0", DType::kF32, {1, 2, 3}, data.data())}, {});
  std::string expected = le64(64) + R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})" + data;
  EXPECT_EQ(out, expected);
}

// tensor.rs test_serialization_forced_alignement: "attn0" [1,1,2,3] pads with 7 spaces to 72.
TEST(SafetensorsWriter, MatchesUpstreamAlignmentVector) {
  TempDir dir;
  std::string data = f32_bytes({0, 1, 2, 3, 4, 5});
  std::string out = write_to_string(dir, {tensor_from_bytes("attn0", DType::kF32, {1, 1, 2, 3}, data.data())}, {});
  std::string expected =
      le64(72) + R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})" + std::string(7, ' ') + data;
  EXPECT_EQ(out, expected);
}

// tensor.rs test_empty: no tensors, with and without metadata.
TEST(SafetensorsWriter, MatchesUpstreamEmptyVectors) {
  TempDir dir;
  EXPECT_EQ(write_to_string(dir, {}, {}), le64(8) + "{}" + std::string(6, ' '));
  EXPECT_EQ(write_to_string(dir, {}, {{"framework", "pt"}}),
            le64(40) + R"({"__metadata__":{"framework":"pt"}})" + std::string(5, ' '));
}

// The tensor.rs doc example: a 60-byte header without padding, I32 [2,2].
TEST(SafetensorsReader, ReadsUpstreamWorkedExample) {
  TempDir dir;
  std::string header = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
  ASSERT_EQ(header.size(), 60u);
  std::string file = std::string("\x3c\0\0\0\0\0\0\0", 8) + header + std::string(16, '\0');
  write_file(dir / "a.safetensors", file);
  auto f = SafetensorsFile::open((dir / "a.safetensors").string());
  ASSERT_EQ(f->tensors().size(), 1u);
  const TensorInfo& t = f->at("test");
  EXPECT_EQ(t.dtype, DType::kI32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t.numel(), 4);
  EXPECT_EQ(t.nbytes(), 16u);
  EXPECT_EQ(f->data(t) - f->data(t), 0);
  EXPECT_TRUE(f->metadata().empty());
  EXPECT_EQ(f->file_size(), 8u + 60u + 16u);
  // The writer pads the same content to 64 bytes.
  std::string out = write_to_string(dir, {tensor_from_bytes("test", DType::kI32, {2, 2}, file.data() + 68)}, {});
  EXPECT_EQ(out, le64(64) + header + "    " + std::string(16, '\0'));
}

// tensor.rs test_whitespace_padded_header / test_whitespace_leading_padded_header.
TEST(SafetensorsReader, AcceptsJsonWhitespaceAroundHeader) {
  for (std::string header : {std::string("{}\r \t\n"), std::string("\t\n{}\r ")}) {
    std::string file = le64(header.size()) + header;
    SafetensorsHeader h = parse_safetensors(reinterpret_cast<const uint8_t*>(file.data()), file.size(), "mem");
    EXPECT_TRUE(h.tensors.empty());
    EXPECT_EQ(h.data_start, 8 + header.size());
  }
}

TEST(SafetensorsReader, IgnoresUnknownTensorKeysAndNullMetadata) {
  std::string header =
      R"({"__metadata__":null,"t":{"extra":{"a":[1,{"b":2}]},"dtype":"U8","shape":[2],"data_offsets":[0,2],"x":1}})";
  std::string file = le64(header.size()) + header + "ab";
  SafetensorsHeader h = parse_safetensors(reinterpret_cast<const uint8_t*>(file.data()), file.size(), "mem");
  ASSERT_EQ(h.tensors.size(), 1u);
  EXPECT_EQ(h.tensors[0].shape, std::vector<int64_t>{2});
  EXPECT_TRUE(h.metadata.empty());
}

// Every dtype, a scalar, zero-sized tensors, sub-byte dtypes, escaped names and metadata.
TEST(SafetensorsRoundTrip, AllDTypesScalarsAndEmptyTensors) {
  TempDir dir;
  std::vector<TensorSource> sources;
  std::map<std::string, std::string> expected;  // name -> bytes
  uint32_t seed = 1;
  auto bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>((seed = seed * 1664525u + 1013904223u) >> 24);
    return s;
  };
  std::deque<std::string> storage;  // stable addresses: sources point into it
  auto add = [&](const std::string& name, DType dt, std::vector<int64_t> shape) {
    TensorSource probe{name, dt, shape, {}};
    storage.push_back(bytes(probe.nbytes()));
    expected[name] = storage.back();
    sources.push_back(tensor_from_bytes(name, dt, shape, storage.back().data()));
  };
  for (int i = 0; i <= static_cast<int>(DType::kU64); ++i) {
    auto dt = static_cast<DType>(i);
    std::string n(dtype_name(dt));
    add("m." + n + ".weight", dt, {4, 6});
    add("scalar." + n, dt, dtype_bits(dt) % 8 == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{4});
    add("empty." + n, dt, {0, 3});
  }
  add("name with \"quotes\", \\ and \n\t\x01 \xc3\xa9", DType::kF32, {1});
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "line\nbreak \"q\" \xe2\x82\xac"}};
  fs::path p = dir / "all.safetensors";
  write_safetensors(p.string(), sources, metadata);

  auto f = SafetensorsFile::open(p.string());
  EXPECT_EQ(f->metadata(), metadata);
  ASSERT_EQ(f->tensors().size(), expected.size());
  for (const auto& [name, data] : expected) {
    const TensorInfo& t = f->at(name);
    ASSERT_EQ(t.nbytes(), data.size()) << name;
    EXPECT_EQ(std::memcmp(f->data(t), data.data(), data.size()), 0) << name;
  }
  EXPECT_EQ(f->at("scalar.F32").shape, std::vector<int64_t>{});
  EXPECT_EQ(f->at("scalar.F32").numel(), 1);
  EXPECT_EQ(f->at("empty.BF16").numel(), 0);
  EXPECT_EQ(f->find("missing"), nullptr);
  EXPECT_THROW(f->at("missing"), IoError);
  // Offset order = writer order: dtype descending, then name ascending.
  const auto& ts = f->tensors();
  for (size_t i = 1; i < ts.size(); ++i) {
    if (ts[i - 1].nbytes() == 0 || ts[i].nbytes() == 0) continue;  // ties at equal offsets
    bool ordered = ts[i - 1].dtype > ts[i].dtype || (ts[i - 1].dtype == ts[i].dtype && ts[i - 1].name < ts[i].name);
    EXPECT_TRUE(ordered) << ts[i - 1].name << " before " << ts[i].name;
  }
  // The header starts with `{` and `__metadata__`, and N is a multiple of 8.
  std::string raw = read_file(p);
  uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(raw.substr(8, 16), "{\"__metadata__\":");
  EXPECT_EQ(raw.substr(8, n), safetensors_header_json(sources, metadata));
}

TEST(SafetensorsWriter, RejectsInvalidTensors) {
  TempDir dir;
  std::string p = (dir / "x.safetensors").string();
  uint8_t buf[64] = {};
  EXPECT_THROW(write_safetensors(p, {tensor_from_bytes("a", DType::kU8, {1}, buf), tensor_from_bytes("a", DType::kU8, {1}, buf)}), IoError);
  EXPECT_THROW(write_safetensors(p, {tensor_from_bytes("__metadata__", DType::kU8, {1}, buf)}), IoError);
  EXPECT_THROW(tensor_from_bytes("odd", DType::kF4, {3}, buf), IoError);  // 12 bits
  EXPECT_THROW(tensor_from_bytes("neg", DType::kF32, {-1}, buf), IoError);
  EXPECT_THROW(tensor_owning_bytes("short", DType::kF32, {2}, std::vector<uint8_t>(7)), IoError);
  EXPECT_THROW(write_safetensors(p, {tensor_from_bytes("\xff", DType::kU8, {1}, buf)}), IoError);
  EXPECT_FALSE(fs::exists(p));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(SafetensorsWriter, FailedWriteLeavesNoFileAndKeepsOldOne) {
  TempDir dir;
  std::string p = (dir / "model.safetensors").string();
  write_file(p, "old contents");
  TensorSource bad{"w", DType::kF32, {4}, [](uint8_t*) { throw std::runtime_error("fill failed"); }};
  EXPECT_THROW(write_safetensors(p, {bad}), std::runtime_error);
  TensorSource overrun{"w", DType::kU8, {2}, [](uint8_t* d) { std::memset(d, 1, 3); }};
  EXPECT_THROW(write_safetensors(p, {overrun}), IoError);
  EXPECT_EQ(read_file(p), "old contents");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);  // no temporary left behind
}

TEST(SafetensorsWriter, OwningBytesAndHalfConversion) {
  TempDir dir;
  std::vector<float> values = {1.0f, -2.5f, 3.14159f, 65504.0f};
  std::vector<uint8_t> bf16(values.size() * 2), f16(values.size() * 2);
  convert_f32_to_bf16(values.data(), reinterpret_cast<uint16_t*>(bf16.data()), values.size());
  convert_f32_to_f16(values.data(), reinterpret_cast<uint16_t*>(f16.data()), values.size());
  std::string p = (dir / "h.safetensors").string();
  write_safetensors(p, {tensor_owning_bytes("b", DType::kBF16, {4}, bf16), tensor_owning_bytes("h", DType::kF16, {2, 2}, f16)});
  auto f = SafetensorsFile::open(p);
  std::vector<float> back(4);
  convert_f16_to_f32(reinterpret_cast<const uint16_t*>(f->data(f->at("h"))), back.data(), 4);
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], -2.5f);
  EXPECT_EQ(back[3], 65504.0f);
  convert_bf16_to_f32(reinterpret_cast<const uint16_t*>(f->data(f->at("b"))), back.data(), 4);
  EXPECT_EQ(back[2], 3.140625f);  // nearest bf16 of pi-ish
  EXPECT_EQ(f->metadata().at("format"), "pt");
}

// The stories260K checkpoint was written by the Python writer: it must load, and our rewrite of it
// must hold the same bytes (the header content is the same set of entries, so the size matches too).
TEST(SafetensorsReader, SharedStories260KRewrite) {
  AXOLOTL_REQUIRE_SHARED();
  fs::path src = axolotl::testing::shared_dir() / "models" / "stories260K" / "model.safetensors";
  if (!fs::exists(src)) GTEST_SKIP() << "stories260K absent";
  auto f = SafetensorsFile::open(src.string());
  ASSERT_GT(f->tensors().size(), 5u);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const TensorInfo& emb = f->at("model.embed_tokens.weight");
  EXPECT_EQ(emb.dtype, DType::kF32);
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{512, 64}));
  TempDir dir;
  std::vector<TensorSource> sources;
  for (const auto& t : f->tensors()) sources.push_back(tensor_from_bytes(t.name, t.dtype, t.shape, f->data(t)));
  std::string out = (dir / "copy.safetensors").string();
  write_safetensors(out, sources, f->metadata());
  auto g = SafetensorsFile::open(out);
  EXPECT_EQ(g->file_size(), f->file_size());
  for (const auto& t : f->tensors()) {
    const TensorInfo& u = g->at(t.name);
    ASSERT_EQ(u.nbytes(), t.nbytes());
    EXPECT_EQ(u.begin, t.begin) << t.name;  // same sort order: all F32, by name
    EXPECT_EQ(std::memcmp(g->data(u), f->data(t), t.nbytes()), 0) << t.name;
  }
}

TEST(SafetensorsReader, ErrorsNameFileAndTensor) {
  TempDir dir;
  std::string header = R"({"w.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})";
  write_file(dir / "bad.safetensors", le64(header.size()) + header + std::string(16, '\0'));
  try {
    SafetensorsFile::open((dir / "bad.safetensors").string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bad.safetensors"), std::string::npos) << what;
    EXPECT_EQ(e.diagnostic().key, "w.bias");
    EXPECT_NE(what.find("16 bytes"), std::string::npos) << what;
    EXPECT_NE(what.find("12 bytes"), std::string::npos) << what;
  }
  EXPECT_THROW(SafetensorsFile::open((dir / "absent.safetensors").string()), IoError);
  EXPECT_THROW(SafetensorsFile::open(dir.path().string()), IoError);  // a folder
}

}  // namespace
}  // namespace axolotl::io
