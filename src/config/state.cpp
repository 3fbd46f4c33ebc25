// Problem collection, scalar conversions and "did you mean" for the config reader.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "field.h"
#include "state.h"

#include "axolotl/util/edit_distance.h"

namespace axolotl::config::detail {

namespace {
// Past this many problems the rest are counted, not stored: a 20,000-key file stays fast to report.
constexpr size_t kMaxProblems = 200;
}  // namespace

Location State::at(const YAML::Mark& m) const {
  Location l;
  l.file = file_;
  if (!m.is_null()) {
    l.line = m.line + 1;
    l.column = m.column + 1;
  }
  return l;
}

Location State::at(const YAML::Node& n) const { return n.IsDefined() ? at(n.Mark()) : at(YAML::Mark::null_mark()); }

void State::error(Location where, std::string key, std::string message, std::string found, std::string expected,
                  std::string hint) {
  if (problems_.size() >= kMaxProblems) {
    ++suppressed_;
    return;
  }
  problems_.push_back(Diagnostic{std::move(where), std::move(key), std::move(message), std::move(found),
                                 std::move(expected), std::move(hint)});
}

void State::note(Location where, std::string key, std::string message, std::string hint) {
  notes_.push_back(Diagnostic{std::move(where), std::move(key), std::move(message), {}, {}, std::move(hint)});
}

Location State::where(const std::string& path) const {
  auto it = where_.find(path);
  if (it != where_.end()) return it->second;
  Location l;
  l.file = file_;
  return l;
}

bool State::is_bad(const std::string& path) const {
  return std::find(bad_.begin(), bad_.end(), path) != bad_.end();
}

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  std::string s = n.Scalar();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "'" + s + "'";
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty() || word.size() > 64) return {};
  size_t best = std::max<size_t>(2, word.size() / 3) + 1;
  std::string out;
  for (const auto& c : candidates) {
    if (c.size() > word.size() + best || word.size() > c.size() + best) continue;
    size_t d = edit_distance(word, c);
    if (d < best) {
      best = d;
      out = c;
    }
  }
  return out;
}

std::string Limits::str() const {
  auto num = [](double v) {
    std::string s = Json(v).dump();
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s;
  };
  if (std::isfinite(min) && std::isfinite(max)) {
    return std::string(min_open ? "(" : "[") + num(min) + ", " + num(max) + (max_open ? ")" : "]");
  }
  if (std::isfinite(min)) return std::string(min_open ? "> " : ">= ") + num(min);
  if (std::isfinite(max)) return std::string(max_open ? "< " : "<= ") + num(max);
  return {};
}

bool read_bool(const YAML::Node& n, bool& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "Yes" || s == "on") {
    out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "No" || s == "off") {
    out = false;
    return true;
  }
  return false;
}

namespace {
// YAML 1.1 (PyYAML, so Axolotl) reads plain 500_000 as 500000: digit groups joined by '_'. Quoted
// scalars stay strings; the result is only used when it parses as a number.
std::string yaml11_number(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (s.find('_') == std::string::npos || n.Tag() == "!") return s;
  if (s.find_first_not_of("0123456789_+-.eE") != std::string::npos || s.front() == '_' || s.back() == '_') return s;
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}
}  // namespace

bool read_int(const YAML::Node& n, long long& out) {
  if (!n.IsScalar() || n.Scalar().empty()) return false;
  const std::string s = yaml11_number(n);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) {
    // Accept integral floats such as 1e3 or 4.0 (YAML writers sometimes produce them).
    double d = 0;
    if (!read_double(n, d) || d != std::floor(d) || std::fabs(d) > 9e15) return false;
    v = static_cast<long long>(d);
  }
  out = v;
  return true;
}

bool read_double(const YAML::Node& n, double& out) {
  if (!n.IsScalar() || n.Scalar().empty()) return false;
  const std::string s = yaml11_number(n);
  if (s == ".inf" || s == ".Inf" || s == "+.inf") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-.inf" || s == "-.Inf") {
    out = -HUGE_VAL;
    return true;
  }
  if (s == ".nan" || s == ".NaN") {
    out = NAN;
    return true;
  }
  if (s.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  out = v;
  return true;
}

bool read_string(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) return false;
  out = n.Scalar();
  return true;
}

bool read_string_list(const YAML::Node& n, std::vector<std::string>& out) {
  std::vector<std::string> v;
  if (n.IsScalar()) {
    v.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) return false;
      v.push_back(item.Scalar());
    }
  } else {
    return false;
  }
  out = std::move(v);
  return true;
}

bool read_string_map(const YAML::Node& n, std::map<std::string, std::string>& out) {
  if (!n.IsMap()) return false;
  std::map<std::string, std::string> m;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar() || !(kv.second.IsScalar() || kv.second.IsNull())) return false;
    m[kv.first.Scalar()] = kv.second.IsNull() ? "" : kv.second.Scalar();
  }
  out = std::move(m);
  return true;
}

}  // namespace axolotl::config::detail
