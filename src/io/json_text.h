// Small text helpers shared by the io JSON readers and writers (private to src/io).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace axolotl::io::detail {

inline constexpr size_t kValidUtf8 = static_cast<size_t>(-1);

// Offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode §3.9,
// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or kValidUtf8.
size_t invalid_utf8_at(const uint8_t* s, size_t n);
inline size_t invalid_utf8_at(std::string_view s) {
  return invalid_utf8_at(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Appends `s` as a JSON string the way serde_json::to_string escapes it: `"` and `\` escaped,
// \b \f \n \r \t short forms, other control characters as \u00xx (lowercase hex), the rest verbatim.
void append_json_string(std::string& out, std::string_view s);

}  // namespace axolotl::io::detail
