// A compiled Oniguruma regex (Ruby syntax, UTF-8), the engine Hugging Face tokenizers uses, so the
// split patterns (\p{L}, (?i:...), (?!\S)) behave as there. Searches are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axolotl::data::tokjson {

class Regex {
 public:
  // Throws Error naming `where` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every non-empty, non-overlapping match as [begin, end) byte offsets, left to right.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  // The pattern that matches `literal` exactly.
  static std::string escape(std::string_view literal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axolotl::data::tokjson
