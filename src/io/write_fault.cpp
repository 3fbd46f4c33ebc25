// The AXOLOTL_FAIL_WRITES hook (see write_fault.h), parsed once per process.
#include "axolotl/io/write_fault.h"

#include <cerrno>
#include <cstdlib>
#include <optional>

namespace axolotl::io {
namespace {

struct Rule {
  std::string needle;
  size_t after = 0;
};

std::optional<Rule> parse_rule() {
  const char* v = std::getenv("AXOLOTL_FAIL_WRITES");
  if (!v || !*v) return std::nullopt;
  Rule r;
  std::string s(v);
  const size_t at = s.rfind('@');
  r.needle = s.substr(0, at);
  if (at != std::string::npos) r.after = std::strtoull(s.c_str() + at + 1, nullptr, 10);
  return r;
}

}  // namespace

int injected_write_error(const std::string& path, size_t written, size_t size) {
  static const std::optional<Rule> rule = parse_rule();
  if (!rule || path.find(rule->needle) == std::string::npos) return 0;
  return written + size > rule->after ? ENOSPC : 0;
}

}  // namespace axolotl::io
