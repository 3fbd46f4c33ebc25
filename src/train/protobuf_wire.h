// Protocol-buffer wire format by hand (developers.google.com/protocol-buffers/docs/encoding): the few
// field kinds the TensorBoard event writer needs. Private to train/.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace axolotl::train::detail {

inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

template <typename T>
void put_le(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian host (x86-64, aarch64)
  out.append(b, sizeof(T));
}

// Key = field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
inline void put_key(std::string& out, uint32_t field, uint32_t wire_type) { put_varint(out, (field << 3) | wire_type); }

inline void put_bytes_field(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}

inline void put_varint_field(std::string& out, uint32_t field, uint64_t v) {
  put_key(out, field, 0);
  put_varint(out, v);
}

inline void put_double_field(std::string& out, uint32_t field, double v) {
  put_key(out, field, 1);
  put_le(out, v);
}

inline void put_float_field(std::string& out, uint32_t field, float v) {
  put_key(out, field, 5);
  put_le(out, v);
}

}  // namespace axolotl::train::detail
