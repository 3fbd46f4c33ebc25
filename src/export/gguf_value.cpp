// GGUF values: constructors, accessors and encoding (ggml/src/gguf.cpp, gguf-py gguf_writer.py).
#include "axolotl/export/gguf_value.h"

#include <fmt/format.h>

#include "axolotl/util/error.h"

namespace axolotl::gguf {

const char* value_type_name(ValueType type) {
  static const char* const kNames[] = {"u8",  "i8",  "u16", "i16", "u32", "i32", "f32",
                                       "bool", "str", "arr", "u64", "i64", "f64"};
  auto i = static_cast<uint32_t>(type);
  return i < 13 ? kNames[i] : "?";
}

bool is_integer(ValueType t) {
  switch (t) {
    case ValueType::kUint8: case ValueType::kInt8: case ValueType::kUint16: case ValueType::kInt16:
    case ValueType::kUint32: case ValueType::kInt32: case ValueType::kUint64: case ValueType::kInt64:
    case ValueType::kBool:
      return true;
    default:
      return false;
  }
}
bool is_float(ValueType t) { return t == ValueType::kFloat32 || t == ValueType::kFloat64; }

Value Value::u32(uint32_t v) { Value x; x.type = ValueType::kUint32; x.ints = {v}; return x; }
Value Value::i32(int32_t v) { Value x; x.type = ValueType::kInt32; x.ints = {v}; return x; }
Value Value::u64(uint64_t v) { Value x; x.type = ValueType::kUint64; x.ints = {static_cast<int64_t>(v)}; return x; }
Value Value::f32(float v) { Value x; x.type = ValueType::kFloat32; x.floats = {v}; return x; }
Value Value::boolean(bool v) { Value x; x.type = ValueType::kBool; x.ints = {v ? 1 : 0}; return x; }
Value Value::str(std::string v) { Value x; x.type = ValueType::kString; x.strings = {std::move(v)}; return x; }
Value Value::strs(std::vector<std::string> v) {
  Value x; x.type = ValueType::kArray; x.elem = ValueType::kString; x.strings = std::move(v); return x;
}
Value Value::f32s(std::vector<float> v) {
  Value x; x.type = ValueType::kArray; x.elem = ValueType::kFloat32; x.floats.assign(v.begin(), v.end()); return x;
}
Value Value::i32s(std::vector<int32_t> v) {
  Value x; x.type = ValueType::kArray; x.elem = ValueType::kInt32; x.ints.assign(v.begin(), v.end()); return x;
}

size_t Value::count() const {
  if (!is_array()) return 1;
  if (elem == ValueType::kString) return strings.size();
  return is_float(elem) ? floats.size() : ints.size();
}

int64_t Value::as_int() const {
  if (is_array() || !is_integer(type) || ints.empty()) {
    throw Error(Diagnostic{{}, {}, "gguf value is not an integer", value_type_name(type), "an integer", {}});
  }
  return ints[0];
}

double Value::as_float() const {
  if (!is_array() && is_float(type) && !floats.empty()) return floats[0];
  return static_cast<double>(as_int());
}

const std::string& Value::as_string() const {
  if (type != ValueType::kString || strings.empty()) {
    throw Error(Diagnostic{{}, {}, "gguf value is not a string", value_type_name(type), "str", {}});
  }
  return strings[0];
}

namespace {
std::string scalar_str(ValueType t, const Value& v, size_t i) {
  if (t == ValueType::kString) return fmt::format("\"{}\"", v.strings[i]);
  if (is_float(t)) return fmt::format("{}", v.floats[i]);
  if (t == ValueType::kBool) return v.ints[i] ? "true" : "false";
  if (t == ValueType::kUint64) return std::to_string(static_cast<uint64_t>(v.ints[i]));
  return std::to_string(v.ints[i]);
}
}  // namespace

std::string Value::str() const {
  if (!is_array()) return scalar_str(type, *this, 0);
  std::string out = fmt::format("[{} x {}]", count(), value_type_name(elem));
  size_t shown = std::min<size_t>(count(), 5);
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : " ") + scalar_str(elem, *this, i);
  if (shown < count()) out += ", ...";
  return out;
}

void encode_string(const std::string& s, std::string& out) {
  encode_pod<uint64_t>(s.size(), out);
  out += s;
}

namespace {
void encode_element(ValueType t, const Value& v, size_t i, std::string& out) {
  switch (t) {
    case ValueType::kUint8: encode_pod<uint8_t>(static_cast<uint8_t>(v.ints[i]), out); break;
    case ValueType::kInt8: encode_pod<int8_t>(static_cast<int8_t>(v.ints[i]), out); break;
    case ValueType::kUint16: encode_pod<uint16_t>(static_cast<uint16_t>(v.ints[i]), out); break;
    case ValueType::kInt16: encode_pod<int16_t>(static_cast<int16_t>(v.ints[i]), out); break;
    case ValueType::kUint32: encode_pod<uint32_t>(static_cast<uint32_t>(v.ints[i]), out); break;
    case ValueType::kInt32: encode_pod<int32_t>(static_cast<int32_t>(v.ints[i]), out); break;
    case ValueType::kUint64: encode_pod<uint64_t>(static_cast<uint64_t>(v.ints[i]), out); break;
    case ValueType::kInt64: encode_pod<int64_t>(v.ints[i], out); break;
    case ValueType::kBool: encode_pod<uint8_t>(v.ints[i] ? 1 : 0, out); break;
    case ValueType::kFloat32: encode_pod<float>(static_cast<float>(v.floats[i]), out); break;
    case ValueType::kFloat64: encode_pod<double>(v.floats[i], out); break;
    case ValueType::kString: encode_string(v.strings[i], out); break;
    case ValueType::kArray: throw Error("gguf: arrays of arrays are not supported (gguf.cpp rejects them)");
  }
}
}  // namespace

void encode_value(const Value& v, std::string& out) {
  encode_pod<uint32_t>(static_cast<uint32_t>(v.type), out);
  if (!v.is_array()) {
    encode_element(v.type, v, 0, out);
    return;
  }
  encode_pod<uint32_t>(static_cast<uint32_t>(v.elem), out);
  encode_pod<uint64_t>(v.count(), out);
  for (size_t i = 0; i < v.count(); ++i) encode_element(v.elem, v, i, out);
}

}  // namespace axolotl::gguf
