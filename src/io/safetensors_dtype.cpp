// The safetensors dtype table (FORMATS.md §1.2): names, bit widths, and the sizes derived from them.
#include <array>
#include <limits>

#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

struct DTypeRow {
  DType dtype;
  std::string_view name;
  size_t bits;
};

// In enum order; safetensors/src/tensor.rs `Dtype` and its `bitsize()`.
constexpr std::array<DTypeRow, 22> kDTypes = {{
    {DType::kBool, "BOOL", 8},          {DType::kF4, "F4", 4},
    {DType::kF6_E2M3, "F6_E2M3", 6},    {DType::kF6_E3M2, "F6_E3M2", 6},
    {DType::kU8, "U8", 8},              {DType::kI8, "I8", 8},
    {DType::kF8_E5M2, "F8_E5M2", 8},    {DType::kF8_E4M3, "F8_E4M3", 8},
    {DType::kF8_E8M0, "F8_E8M0", 8},    {DType::kF8_E4M3FNUZ, "F8_E4M3FNUZ", 8},
    {DType::kF8_E5M2FNUZ, "F8_E5M2FNUZ", 8}, {DType::kI16, "I16", 16},
    {DType::kU16, "U16", 16},           {DType::kF16, "F16", 16},
    {DType::kBF16, "BF16", 16},         {DType::kI32, "I32", 32},
    {DType::kU32, "U32", 32},           {DType::kF32, "F32", 32},
    {DType::kC64, "C64", 64},           {DType::kF64, "F64", 64},
    {DType::kI64, "I64", 64},           {DType::kU64, "U64", 64},
}};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < kDTypes.size(); ++i) {
    if (static_cast<size_t>(kDTypes[i].dtype) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kDTypes must list DType in enum order");

const DTypeRow& row(DType dtype) {
  auto i = static_cast<size_t>(dtype);
  if (i >= kDTypes.size()) throw Error("internal: dtype value " + std::to_string(i) + " out of range");
  return kDTypes[i];
}

}  // namespace

std::string_view dtype_name(DType dtype) { return row(dtype).name; }

bool parse_dtype(std::string_view name, DType* out) {
  for (const auto& r : kDTypes) {
    if (r.name == name) {
      *out = r.dtype;
      return true;
    }
  }
  return false;
}

size_t dtype_bits(DType dtype) { return row(dtype).bits; }

size_t dtype_size(DType dtype) {
  size_t bits = row(dtype).bits;
  return bits % 8 == 0 ? bits / 8 : 0;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) throw IoError("tensor " + name + ": invalid shape");
  }
  return n;
}

uint64_t TensorSource::nbytes() const {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || static_cast<uint64_t>(d) > kMaxSafetensorsInt ||
        __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) {
      throw IoError(Diagnostic{{}, name, "invalid tensor shape", "a dimension of " + std::to_string(d),
                               "dimensions in [0, 2^48-1] whose product fits in 64 bits", {}});
    }
  }
  uint64_t bits = 0;
  if (__builtin_mul_overflow(n, static_cast<uint64_t>(dtype_bits(dtype)), &bits)) {
    throw IoError(Diagnostic{{}, name, "tensor too large", std::to_string(n) + " elements", {}, {}});
  }
  if (bits % 8 != 0) {
    throw IoError(Diagnostic{{}, name, "tensor does not fill whole bytes",
                             std::to_string(n) + " elements of " + std::string(dtype_name(dtype)),
                             "a number of bits divisible by 8", {}});
  }
  return bits / 8;
}

}  // namespace axolotl::io
