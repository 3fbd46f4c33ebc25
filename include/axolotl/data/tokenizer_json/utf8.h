// UTF-8 helpers shared by the tokenizer.json components: code point iteration, lossy decoding
// (U+FFFD per maximal invalid subpart, as Rust's from_utf8_lossy and the WHATWG decoder) and the
// GPT-2 byte-to-unicode table (FORMATS2.md §1.5). Torch-free, no allocation in the scanners.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace axolotl::data::tokjson {

// Length in bytes of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid or cut off.
size_t utf8_valid_length(std::string_view s, size_t i);
// Length of the sequence at s[i] as its lead byte announces it (1 for stray bytes); never past the end.
size_t utf8_char_length(std::string_view s, size_t i);
// The code point at s[i] (U+FFFD when invalid); `len` receives the bytes consumed (>= 1).
char32_t utf8_decode(std::string_view s, size_t i, size_t* len);
void utf8_append(std::string& out, char32_t cp);
// `bytes` with every maximal invalid subpart replaced by U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Length of the longest prefix of `bytes` that does not end inside a possibly valid UTF-8 sequence.
size_t utf8_complete_prefix(std::string_view bytes);

// Unicode White_Space, and the `\w` word class (letters, marks, digits, connector punctuation).
bool is_unicode_whitespace(char32_t cp);
bool is_word_char(char32_t cp);

// The ByteLevel table: byte -> its UTF-8 encoded stand-in char, and the inverse (-1 when not a stand-in).
const std::array<std::string, 256>& byte_to_unicode();
int unicode_to_byte(char32_t cp);

}  // namespace axolotl::data::tokjson
