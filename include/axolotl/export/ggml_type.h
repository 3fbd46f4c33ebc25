// ggml tensor types as GGUF stores them (FORMATS2.md §3.2) and llama.cpp's file types (§3.3):
// ids, block sizes and bytes per block. Only the types this exporter writes or reads are named.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace axolotl::gguf {

// ggml.h `enum ggml_type` ids (not llama_ftype).
enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kBF16 = 30
};

struct TypeTraits {
  const char* name;      // "F32", "Q4_K", ... as ggml_type_name
  int64_t block_size;    // elements per block (1 for plain types)
  int64_t block_bytes;   // bytes per block
};

// Traits of a known type id; nullopt for ids this code does not know (the reader reports them).
std::optional<TypeTraits> type_traits(uint32_t id);
const TypeTraits& traits(GgmlType type);
std::string_view type_name(GgmlType type);
// Bytes of `n` elements (n a multiple of the block size, else IoError naming `tensor`).
uint64_t type_nbytes(GgmlType type, int64_t n, const std::string& tensor = {});

// llama_ftype (general.file_type) ids of the exports offered.
enum class FileType : uint32_t { kAllF32 = 0, kMostlyF16 = 1, kMostlyQ4_0 = 2, kMostlyQ8_0 = 7,
                                 kMostlyQ4_K_M = 15, kMostlyBF16 = 32 };

// The `--quant` spellings: f32, f16, bf16, q8_0, q4_0, q4_k_m.
std::optional<FileType> parse_file_type(std::string_view quant);
std::string_view file_type_name(FileType type);
// The type a file type gives ordinary 2-D weights (llama-quant.cpp's default_type).
GgmlType default_type(FileType type);

}  // namespace axolotl::gguf
