// Python str operations over UTF-8 text, by code point as Python counts them: strip with Unicode
// whitespace, split, length, index and slice. Case mapping covers Latin, Greek and Cyrillic (templates case role names).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axolotl::data::jinja::text {

std::u32string decode(const std::string& s);  // invalid bytes map to U+FFFD
std::string encode(const std::u32string& s);
size_t length(const std::string& s);           // code points
bool is_space(char32_t c);                     // Python str.isspace() for one code point

// str.strip / lstrip / rstrip; `chars` absent: Unicode whitespace.
std::string strip(const std::string& s, const std::optional<std::string>& chars, bool left, bool right);
// str.split(sep, maxsplit); sep absent: runs of whitespace, no empty parts.
std::vector<std::string> split(const std::string& s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> rsplit(const std::string& s, const std::optional<std::string>& sep, int64_t maxsplit);
std::string replace(const std::string& s, const std::string& from, const std::string& to, int64_t count);
std::string upper(const std::string& s);
std::string lower(const std::string& s);
std::string title(const std::string& s);       // Python str.title()
std::string capitalize(const std::string& s);  // Python str.capitalize()
bool starts_with(const std::string& s, const std::string& p);
bool ends_with(const std::string& s, const std::string& p);

}  // namespace axolotl::data::jinja::text
