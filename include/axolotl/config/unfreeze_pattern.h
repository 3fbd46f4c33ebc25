// One entry of Axolotl's `unfrozen_parameters` (utils/freeze.py LayerNamePattern): a regex matched at
// the start of a parameter name (Python's re.match), every '.' not followed by '+' taken literally,
// and an optional trailing row range `[i]`, `[start:end]`, `[:end]` or `[start:]` that keeps only those
// rows (along dim 0) trainable, by zeroing the other rows' gradients.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>

namespace axolotl::config {

struct UnfreezePattern {
  std::string raw;    // as written
  std::regex name;    // the translated name regex
  std::optional<int64_t> row_begin;  // set when a range is given
  std::optional<int64_t> row_end;    // unset: to the end of dim 0

  bool matches(const std::string& parameter_name) const;  // re.match: anchored at the start only
};

// Throws ConfigError naming `key` when the regex does not compile or the range is empty (end <= start).
UnfreezePattern parse_unfreeze_pattern(const std::string& raw, const std::string& key = "unfrozen_parameters");

}  // namespace axolotl::config
