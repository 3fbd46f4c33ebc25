// Type tables of ggml (llama.cpp ggml/include/ggml.h, gguf-py constants.py GGML_QUANT_SIZES).
#include "axolotl/export/ggml_type.h"

#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

struct Row {
  uint32_t id;
  TypeTraits traits;
};

constexpr Row kTypes[] = {
    {0, {"F32", 1, 4}},       {1, {"F16", 1, 2}},       {2, {"Q4_0", 32, 18}},    {3, {"Q4_1", 32, 20}},
    {6, {"Q5_0", 32, 22}},    {7, {"Q5_1", 32, 24}},    {8, {"Q8_0", 32, 34}},    {9, {"Q8_1", 32, 36}},
    {10, {"Q2_K", 256, 84}},  {11, {"Q3_K", 256, 110}}, {12, {"Q4_K", 256, 144}}, {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}}, {15, {"Q8_K", 256, 292}}, {24, {"I8", 1, 1}},       {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},      {27, {"I64", 1, 8}},      {28, {"F64", 1, 8}},      {30, {"BF16", 1, 2}},
};

struct FileRow {
  FileType type;
  const char* quant;
  GgmlType weights;
};

constexpr FileRow kFileTypes[] = {
    {FileType::kAllF32, "f32", GgmlType::kF32},          {FileType::kMostlyF16, "f16", GgmlType::kF16},
    {FileType::kMostlyBF16, "bf16", GgmlType::kBF16},    {FileType::kMostlyQ8_0, "q8_0", GgmlType::kQ8_0},
    {FileType::kMostlyQ4_0, "q4_0", GgmlType::kQ4_0},    {FileType::kMostlyQ4_K_M, "q4_k_m", GgmlType::kQ4_K},
};

}  // namespace

std::optional<TypeTraits> type_traits(uint32_t id) {
  for (const auto& row : kTypes) {
    if (row.id == id) return row.traits;
  }
  return std::nullopt;
}

const TypeTraits& traits(GgmlType type) {
  for (const auto& row : kTypes) {
    if (row.id == static_cast<uint32_t>(type)) return row.traits;
  }
  throw Error("gguf: unknown ggml type id " + std::to_string(static_cast<uint32_t>(type)));
}

std::string_view type_name(GgmlType type) { return traits(type).name; }

uint64_t type_nbytes(GgmlType type, int64_t n, const std::string& tensor) {
  const auto& t = traits(type);
  if (n < 0 || n % t.block_size != 0) {
    throw IoError(Diagnostic{{}, tensor, "element count is not a whole number of blocks", std::to_string(n),
                             "a multiple of " + std::to_string(t.block_size) + " for " + t.name, {}});
  }
  return static_cast<uint64_t>(n / t.block_size) * static_cast<uint64_t>(t.block_bytes);
}

std::optional<FileType> parse_file_type(std::string_view quant) {
  for (const auto& row : kFileTypes) {
    if (quant == row.quant) return row.type;
  }
  return std::nullopt;
}

std::string_view file_type_name(FileType type) {
  for (const auto& row : kFileTypes) {
    if (row.type == type) return row.quant;
  }
  return "?";
}

GgmlType default_type(FileType type) {
  for (const auto& row : kFileTypes) {
    if (row.type == type) return row.weights;
  }
  return GgmlType::kF32;
}

}  // namespace axolotl::gguf
