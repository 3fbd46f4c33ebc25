// Formatting of locations, diagnostics and the error family.
#include "axolotl/util/error.h"

namespace axolotl {

std::string Location::str() const {
  std::string s = file;
  if (line > 0) {
    s += (s.empty() ? "line " : ":") + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

std::string Diagnostic::str() const {
  std::string s;
  if (!where.empty()) s += where.str() + ": ";
  if (!key.empty()) s += key + ": ";
  s += message;
  if (!found.empty() || !expected.empty()) {
    s += " (";
    if (!found.empty()) s += "found " + found;
    if (!found.empty() && !expected.empty()) s += ", ";
    if (!expected.empty()) s += "expected " + expected;
    s += ")";
  }
  if (!hint.empty()) s += "\n  hint: " + hint;
  return s;
}

Error::Error(Diagnostic d) : std::runtime_error(d.str()), diag_(std::move(d)) {}

Error::Error(const std::string& message) : Error(Diagnostic{{}, {}, message, {}, {}, {}}) {}

Error::~Error() = default;

namespace {
std::string join_problems(const std::vector<Diagnostic>& problems) {
  std::string s = std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") +
                  " in the config:";
  for (const auto& p : problems) s += "\n" + p.str();
  return s;
}
}  // namespace

ConfigError::ConfigError(std::vector<Diagnostic> problems)
    : Error(join_problems(problems)), problems_(std::move(problems)) {}

}  // namespace axolotl
