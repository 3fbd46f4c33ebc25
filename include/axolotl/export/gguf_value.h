// GGUF v3 metadata values (FORMATS2.md §3.1): the 13 value types, typed scalars and one-level arrays
// (gguf.cpp rejects arrays of arrays), with their little-endian encoding. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axolotl::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
inline constexpr size_t kMaxTensorName = 63;       // GGML_MAX_NAME 64, checked with >=

enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6, kBool = 7,
  kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12
};
const char* value_type_name(ValueType type);
bool is_integer(ValueType type);
bool is_float(ValueType type);

// One value: a scalar of `type`, or (type kArray) `count()` elements of `elem`. Integers are held in
// `ints` (uint64 values above INT64_MAX wrap), floats in `floats`, strings in `strings`.
struct Value {
  ValueType type = ValueType::kUint32;
  ValueType elem = ValueType::kUint8;  // arrays only
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;

  static Value u32(uint32_t v);
  static Value i32(int32_t v);
  static Value u64(uint64_t v);
  static Value f32(float v);
  static Value boolean(bool v);
  static Value str(std::string v);
  static Value strs(std::vector<std::string> v);
  static Value f32s(std::vector<float> v);
  static Value i32s(std::vector<int32_t> v);

  bool is_array() const { return type == ValueType::kArray; }
  size_t count() const;           // elements (1 for a scalar)
  int64_t as_int() const;         // scalar integer or bool; Error otherwise
  double as_float() const;        // scalar float or integer
  const std::string& as_string() const;
  std::string str() const;        // display form; arrays show their first elements
};

// Appends the encoding of `v` (type id, then payload) / of a GGUF string to `out`.
void encode_value(const Value& v, std::string& out);
void encode_string(const std::string& s, std::string& out);
template <typename T>
void encode_pod(T v, std::string& out) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));  // the project targets little-endian hosts
}

}  // namespace axolotl::gguf
