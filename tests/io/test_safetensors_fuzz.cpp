// A corpus of malformed safetensors buffers, each of which must give a clean IoError naming the
// right problem, plus every truncation and thousands of random mutations of a valid file.
// Buffers are exact-size heap copies, so AddressSanitizer builds catch any read past the end.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::io {
namespace {

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

std::string file_of(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

// Parses an exact-size copy; returns "" on success, else the error text.
std::string parse(const std::string& bytes, SafetensorsHeader* out = nullptr) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + 1]);  // +1: a zero-size array is still valid
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  try {
    SafetensorsHeader h = parse_safetensors(copy.get(), bytes.size(), "fuzz.safetensors");
    if (out) *out = std::move(h);
    return "";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("fuzz.safetensors: ", 0), 0u) << what;  // names the file
    return what;
  }
}

// A valid file with three tensors of different dtypes (I64, F32, BF16 order) and metadata.
std::string valid_file() {
  std::string header =
      R"({"__metadata__":{"format":"pt"},"c":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[32,38]}})";
  std::string data(38, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  return file_of(header, data);
}

struct Case {
  const char* what;
  std::string bytes;
  const char* expect;  // substring of the error
  const char* tensor;  // diagnostic key, "" when none
};

std::vector<Case> corpus() {
  auto t = [](const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offs) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offs + "}";
  };
  std::string ok16 = t("x", "F32", "[4]", "[0,16]");
  return {
      {"empty file", "", "too small", ""},
      {"7 bytes", std::string(7, '\0'), "too small", ""},
      {"huge header claim (upstream vector)", std::string("\x3c\0\0\0\0\xff\xff\xff", 8), "too large", ""},
      {"header of 100,000,001", le64(100000001) + "{}", "too large", ""},
      {"8-byte file claiming 60 (upstream vector)", std::string("\x3c\0\0\0\0\0\0\0", 8), "invalid safetensors header length", ""},
      {"header past end", le64(10) + "{}", "invalid safetensors header length", ""},
      {"invalid UTF-8 (upstream vector)", le64(1) + "\xff", "invalid UTF-8", ""},
      {"overlong UTF-8", file_of("{\"\xc0\xaf\":1}", ""), "invalid UTF-8", ""},
      {"surrogate in UTF-8", file_of("{\"\xed\xa0\x80\":1}", ""), "invalid UTF-8", ""},
      {"truncated UTF-8 sequence", file_of("{}\xe2\x82", ""), "invalid UTF-8", ""},
      {"not JSON (upstream vector)", le64(1) + "{", "invalid JSON", ""},
      {"empty header", le64(0), "invalid JSON", ""},
      {"top level array", file_of("[]", ""), "not a JSON object", ""},
      {"top level number", file_of("12", ""), "not a JSON object", ""},
      {"byte order mark", file_of("\xef\xbb\xbf{}", ""), "byte-order mark", ""},
      {"trailing garbage in JSON", file_of("{}x", ""), "invalid JSON", ""},
      {"two objects", file_of("{}{}", ""), "invalid JSON", ""},
      {"comment", file_of("{/*c*/}", ""), "invalid JSON", ""},
      {"NUL padding", file_of(std::string("{}\0\0", 4), ""), "invalid JSON", ""},
      {"tensor not an object", file_of(R"({"x":[1]})", ""), "not an object", "x"},
      {"missing dtype", file_of(R"({"x":{"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')), "missing field \"dtype\"", "x"},
      {"missing data_offsets", file_of(R"({"x":{"dtype":"F32","shape":[1]}})", std::string(4, '\0')), "missing field \"data_offsets\"", "x"},
      {"unknown dtype", file_of("{" + t("x", "F128", "[1]", "[0,16]") + "}", std::string(16, '\0')), "unknown dtype", "x"},
      {"lower-case dtype", file_of("{" + t("x", "f32", "[4]", "[0,16]") + "}", std::string(16, '\0')), "unknown dtype", "x"},
      {"dtype not a string", file_of(R"({"x":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')), "invalid type", "x"},
      {"shape not an array", file_of(R"({"x":{"dtype":"F32","shape":4,"data_offsets":[0,16]}})", std::string(16, '\0')), "invalid type", "x"},
      {"negative shape", file_of("{" + t("x", "F32", "[-4]", "[0,16]") + "}", std::string(16, '\0')), "negative", "x"},
      {"float shape", file_of("{" + t("x", "F32", "[4.0]", "[0,16]") + "}", std::string(16, '\0')), "invalid shape entry", "x"},
      {"shape above 2^48-1", file_of("{" + t("x", "U8", "[281474976710656]", "[0,1]") + "}", "a"), "invalid shape entry", "x"},
      {"nested shape", file_of("{" + t("x", "F32", "[[4]]", "[0,16]") + "}", std::string(16, '\0')), "invalid array entry", "x"},
      {"offset above 2^48-1", file_of("{" + t("x", "U8", "[1]", "[0,281474976710656]") + "}", "a"), "invalid data_offsets entry", "x"},
      {"negative offset", file_of("{" + t("x", "U8", "[1]", "[-1,0]") + "}", "a"), "negative", "x"},
      {"three offsets", file_of("{" + t("x", "U8", "[1]", "[0,1,1]") + "}", "a"), "two entries", "x"},
      {"one offset", file_of("{" + t("x", "U8", "[1]", "[1]") + "}", "a"), "two entries", "x"},
      {"metadata number", file_of(R"({"__metadata__":{"step":1}})", ""), "not a string", ""},
      {"metadata array", file_of(R"({"__metadata__":["pt"]})", ""), "must be an object", ""},
      {"metadata nested", file_of(R"({"__metadata__":{"a":{}}})", ""), "not a string", ""},
      {"duplicate tensor", file_of("{" + ok16 + "," + t("x", "F32", "[4]", "[16,32]") + "}", std::string(32, '\0')), "duplicate name", "x"},
      {"duplicate metadata", file_of(R"({"__metadata__":{},"__metadata__":{}})", ""), "duplicate name", "__metadata__"},
      {"duplicate field", file_of(R"({"x":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "a"), "duplicate field", "x"},
      {"hole at start", file_of("{" + t("x", "F32", "[4]", "[4,20]") + "}", std::string(20, '\0')), "invalid data_offsets", "x"},
      {"hole between", file_of("{" + ok16 + "," + t("y", "F32", "[1]", "[20,24]") + "}", std::string(24, '\0')), "invalid data_offsets", "y"},
      {"overlap", file_of("{" + ok16 + "," + t("y", "F32", "[2]", "[8,16]") + "}", std::string(16, '\0')), "invalid data_offsets", "y"},
      {"end before begin", file_of("{" + t("x", "F32", "[1]", "[0,4]") + "," + t("y", "F32", "[0]", "[4,2]") + "}", std::string(4, '\0')), "invalid data_offsets", "y"},
      {"NUL then garbage", file_of(std::string("{}\0junk", 7), ""), "invalid JSON", ""},
      {"dtype/shape mismatch", file_of("{" + t("x", "F32", "[3]", "[0,16]") + "}", std::string(16, '\0')), "invalid shape, dtype or offsets", "x"},
      {"shape overflow", file_of("{" + t("x", "U8", "[281474976710655,281474976710655]", "[0,1]") + "}", "a"), "overflows", "x"},
      {"bits overflow", file_of("{" + t("x", "F64", "[4294967296,268435456]", "[0,1]") + "}", "a"), "overflows", "x"},
      {"half a byte", file_of("{" + t("x", "F4", "[3]", "[0,2]") + "}", "ab"), "whole bytes", "x"},
      {"trailing bytes (upstream vector)", file_of("{" + ok16 + "}", std::string(16, '\0') + "extra"), "does not cover", ""},
      {"data truncated", file_of("{" + ok16 + "}", std::string(12, '\0')), "does not cover", ""},
      {"data without tensors", file_of("{}", "x"), "does not cover", ""},
  };
}

TEST(SafetensorsFuzz, CorpusGivesCleanErrors) {
  for (const Case& c : corpus()) {
    std::string what = parse(c.bytes);
    EXPECT_NE(what, "") << c.what << ": accepted";
    EXPECT_NE(what.find(c.expect), std::string::npos) << c.what << ": " << what;
    try {
      std::unique_ptr<uint8_t[]> copy(new uint8_t[c.bytes.size() + 1]);
      std::memcpy(copy.get(), c.bytes.data(), c.bytes.size());
      parse_safetensors(copy.get(), c.bytes.size(), "f");
    } catch (const IoError& e) {
      EXPECT_EQ(e.diagnostic().key, c.tensor) << c.what;
    }
  }
}

TEST(SafetensorsFuzz, ValidBaselineAndSubByteDTypes) {
  SafetensorsHeader h;
  ASSERT_EQ(parse(valid_file(), &h), "");
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.tensors[0].name, "c");  // sorted by offsets, not JSON order
  EXPECT_EQ(h.tensors[2].name, "b");
  EXPECT_EQ(h.metadata.at("format"), "pt");
  std::string f4 = R"({"q":{"dtype":"F4","shape":[2,3],"data_offsets":[0,3]},"s":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[3,6]}})";
  ASSERT_EQ(parse(file_of(f4, "abcdef"), &h), "");
  EXPECT_EQ(h.tensors[1].dtype, DType::kF6_E2M3);
}

TEST(SafetensorsFuzz, EveryTruncationFails) {
  std::string file = valid_file();
  for (size_t n = 0; n < file.size(); ++n) {
    EXPECT_NE(parse(file.substr(0, n)), "") << "truncated to " << n;
  }
}

// Random byte flips, insertions and deletions: each buffer either parses into tensors that lie
// inside it or throws IoError; anything else (crash, other exception, ASan report) fails the test.
TEST(SafetensorsFuzz, RandomMutationsNeverCrash) {
  const std::string base = valid_file();
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (s.size() + 1);
      switch (rng() % 4) {
        case 0:
          if (pos < s.size()) s[pos] = static_cast<char>(rng());
          break;
        case 1:
          if (pos < s.size()) s[pos] = "{}[],:\"0123456789-eE. \\"[rng() % 23];
          break;
        case 2: s.insert(pos, 1, static_cast<char>(rng())); break;
        default:
          if (pos < s.size()) s.erase(pos, 1 + rng() % 4);
      }
    }
    SafetensorsHeader h;
    try {
      if (parse(s, &h).empty()) {
        ++accepted;
        for (const TensorInfo& t : h.tensors) {
          ASSERT_LE(t.begin, t.end);
          ASSERT_LE(h.data_start + t.end, s.size());
        }
      }
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": unexpected exception " << e.what();
    }
  }
  EXPECT_LT(accepted, 4000);  // the mutations do reach the checks
}

}  // namespace
}  // namespace axolotl::io
