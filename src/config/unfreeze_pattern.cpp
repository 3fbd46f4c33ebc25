// Axolotl's unfrozen_parameters patterns (see unfreeze_pattern.h).
#include "axolotl/config/unfreeze_pattern.h"

#include "axolotl/util/error.h"

namespace axolotl::config {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& raw, const std::string& message,
                      const std::string& expected) {
  Diagnostic d;
  d.key = key;
  d.message = message;
  d.found = "'" + raw + "'";
  d.expected = expected;
  d.hint = "Axolotl's form: a regex matched at the start of the name, e.g. ^model.layers.[0-3].mlp.* or "
           "^model.embed_tokens.weight$[32000:]";
  throw ConfigError({d});
}

// re.sub(r"\.(?!\+)", "\\.", pattern): a dot is literal unless a '+' follows it.
std::string literal_dots(const std::string& p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '.' && (i + 1 >= p.size() || p[i + 1] != '+')) {
      out += "\\.";
    } else {
      out += p[i];
    }
  }
  return out;
}

int64_t to_row(const std::string& digits, const std::string& key, const std::string& raw) {
  if (digits.size() > 15) bad(key, raw, "the row range is out of bounds", "a row index below 10^15");
  return std::stoll(digits);
}

}  // namespace

bool UnfreezePattern::matches(const std::string& parameter_name) const {
  return std::regex_search(parameter_name, name, std::regex_constants::match_continuous);
}

UnfreezePattern parse_unfreeze_pattern(const std::string& raw, const std::string& key) {
  UnfreezePattern p;
  p.raw = raw;
  std::string base = raw;
  // ^(.+)\[([0-9]*)(?::([0-9]*))?\]$
  static const std::regex kRange(R"(^(.+)\[([0-9]*)(?::([0-9]*))?\]$)");
  std::smatch m;
  if (std::regex_match(raw, m, kRange)) {
    base = m[1].str();
    const std::string start = m[2].str();
    if (!m[3].matched && !start.empty()) {
      p.row_begin = to_row(start, key, raw);
      p.row_end = *p.row_begin + 1;
    } else {
      p.row_begin = start.empty() ? 0 : to_row(start, key, raw);
      if (m[3].matched && !m[3].str().empty()) p.row_end = to_row(m[3].str(), key, raw);
      if (p.row_end && *p.row_end <= *p.row_begin) {
        bad(key, raw, "the row range is empty: its end must be greater than its start", "[start:end] with end > start");
      }
    }
  }
  try {
    p.name = std::regex(literal_dots(base), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    bad(key, raw, std::string("not a valid regex (") + e.what() + ")", "a regex over parameter names");
  }
  return p;
}

}  // namespace axolotl::config
