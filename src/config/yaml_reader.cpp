// Safe YAML parsing for configs (see yaml_reader.h).
#include "yaml_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <sstream>
#include <unordered_map>

namespace axolotl::config::detail {

namespace {

constexpr int kMaxDepth = 32;            // real configs nest 5 deep
constexpr size_t kMaxNodes = 1000000;    // visited nodes, aliases counted each time they are reached

// Length of the UTF-8 sequence starting at s[i], or 0 when it is invalid (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF).
size_t utf8_length(const std::string& s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 3 && ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

// Byte-level checks before yaml-cpp sees the text; false when the text must be rejected.
bool prescan(const std::string& text, State& st) {
  int line = 1, col = 1;
  bool at_indent = true;
  bool ok = true;
  int reported = 0;
  auto fail = [&](const std::string& msg, const std::string& found, const std::string& expected,
                  const std::string& hint) {
    ok = false;
    if (reported++ < 20) st.error(Location{st.source(), line, col}, {}, msg, found, expected, hint);
  };
  size_t start = (text.compare(0, 3, "\xEF\xBB\xBF") == 0) ? 3 : 0;  // byte order mark
  for (size_t i = start; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = utf8_length(text, i);
    if (n == 0) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%02X", c);
      fail("invalid UTF-8", std::string("byte ") + buf, "UTF-8 text", "is this a binary file?");
      if (reported > 20) return false;
      ++i;
      ++col;
      continue;
    }
    if (c == '\n') {
      ++line;
      col = 1;
      at_indent = true;
      ++i;
      continue;
    }
    if (c == '\t' && at_indent) {
      fail("tab in indentation", "a tab", "spaces", "YAML indents with spaces only");
      at_indent = false;
    } else if (c < 0x20 && c != '\t' && c != '\r') {
      fail("control character", "byte " + std::to_string(c), "text", "is this a binary file?");
    } else if (c != ' ' && c != '\t' && c != '\r') {
      at_indent = false;
    }
    i += n;
    ++col;
  }
  return ok;
}

// Walks the parsed tree once: depth and size limits, plain string keys, duplicate keys.
class TreeCheck {
 public:
  explicit TreeCheck(State& st) : st_(st) {}

  // False when the tree must not be walked (too large or deep, or a key that is not a string);
  // duplicate keys are reported but the rest of the file is still read.
  bool run(const YAML::Node& root) {
    visit(root, 0);
    return !stop_ && !bad_key_;
  }

 private:
  void visit(const YAML::Node& n, int depth) {
    if (stop_) return;
    if (++count_ > kMaxNodes) {
      st_.error(st_.at(n), {}, "document too large", "over " + std::to_string(kMaxNodes) + " nodes",
                "a config", "aliases expanding exponentially (\"billion laughs\")?");
      stop_ = true;
      return;
    }
    if (depth > kMaxDepth) {
      st_.error(st_.at(n), {}, "nesting too deep", "over " + std::to_string(kMaxDepth) + " levels",
                "a config nested a few levels", "an alias referring to itself?");
      stop_ = true;
      return;
    }
    if (n.IsSequence()) {
      for (const auto& item : n) visit(item, depth + 1);
    } else if (n.IsMap()) {
      std::unordered_map<std::string, int> seen;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          st_.error(st_.at(kv.first), {}, "a key must be a plain string", describe(kv.first), "a string key");
          bad_key_ = true;
        } else {
          auto [it, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
          if (!fresh) {
            st_.error(st_.at(kv.first), kv.first.Scalar(), "duplicate key",
                      "a second '" + kv.first.Scalar() + "'", "each key once",
                      "first at line " + std::to_string(it->second) + "; YAML keeps both, so remove one");
          }
        }
        visit(kv.second, depth + 1);
        if (stop_) return;
      }
    }
  }

  State& st_;
  size_t count_ = 0;
  bool stop_ = false;
  bool bad_key_ = false;
};

// The 1-based line of the "---" that starts a second document (0: one document), and the count of
// documents. A marker before any content only opens the first. Found by scanning rather than with
// yaml-cpp's LoadAll, which loops forever on some malformed streams (0.7, found by tests/fuzz).
int second_document_line(const std::string& text, int* docs) {
  *docs = 1;
  int line = 0, second = 0;
  bool content = false;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    ++line;
    const bool marker = l.rfind("---", 0) == 0 && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker && content) {
      ++*docs;
      if (second == 0) second = line;
    }
    const size_t first = l.find_first_not_of(" \t\r");
    if (!marker && first != std::string::npos && l[first] != '#' && l[first] != '%') content = true;
  }
  return second;
}

// One line's indentation: the column of its key, past a sequence dash ("  - path: x" -> 4).
struct Indent {
  int spaces = 0;   // leading spaces
  int key = 0;      // column of the first key (spaces, plus "- " for a sequence item)
  bool has_value = false;  // "key: value" on the line (not a bare "key:" opening a section)
};

Indent indent_of(const std::string& line) {
  Indent in;
  const size_t first = line.find_first_not_of(' ');
  in.spaces = static_cast<int>(first == std::string::npos ? line.size() : first);
  size_t k = in.spaces;
  while (k + 1 < line.size() && line[k] == '-' && line[k + 1] == ' ') {
    k = line.find_first_not_of(' ', k + 1);
    if (k == std::string::npos) k = line.size();
  }
  in.key = static_cast<int>(k);
  std::string rest = line.substr(std::min(k, line.size()));
  if (const size_t hash = rest.find(" #"); hash != std::string::npos) rest = rest.substr(0, hash);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.pop_back();
  const size_t colon = rest.find(": ");
  in.has_value = colon != std::string::npos && rest.find_first_not_of(' ', colon + 1) != std::string::npos;
  return in;
}

bool content_line(const std::string& line) {
  const size_t first = line.find_first_not_of(" \r");
  return first != std::string::npos && line[first] != '#';
}

// A hint for yaml-cpp's "illegal map value" / "end of map not found" / ... at 1-based `line`:
// which indentation is off and against what. Empty when the text does not show an indentation slip.
std::string indentation_hint(const std::string& text, int line, const std::string& message) {
  static const char* kIndentErrors[] = {"illegal map value", "end of map not found", "end of sequence not found",
                                        "block sequence entries are not allowed", "illegal block entry"};
  bool indent_error = false;
  for (const char* m : kIndentErrors) indent_error = indent_error || message.find(m) != std::string::npos;
  if (!indent_error) return {};
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  if (line < 1 || line > static_cast<int>(lines.size()) || !content_line(lines[line - 1])) {
    return "YAML nests by indentation: the keys of one section start in the same column";
  }
  const Indent here = indent_of(lines[line - 1]);
  int prev = line - 1;
  while (prev >= 1 && !content_line(lines[prev - 1])) --prev;
  if (prev >= 1) {
    const Indent above = indent_of(lines[prev - 1]);
    const std::string l = std::to_string(line), p = std::to_string(prev);
    if (here.spaces > above.key && above.has_value) {
      return "line " + l + " is indented more than line " + p + " (" + std::to_string(here.spaces) + " vs " +
             std::to_string(above.key) + " spaces), whose key already has a value: line the two up, or end line " +
             p + " with ':' to open a section";
    }
    // A column that no line above uses for its keys: the nearest one that does.
    int nearest = -1, nearest_line = 0;
    bool used = false;
    for (int i = prev; i >= 1; --i) {
      if (!content_line(lines[i - 1])) continue;
      const Indent in_i = indent_of(lines[i - 1]);
      if (in_i.key == here.spaces || in_i.spaces == here.spaces) used = true;
      if (nearest < 0 || std::abs(in_i.key - here.spaces) < std::abs(nearest - here.spaces)) {
        nearest = in_i.key;
        nearest_line = i;
      }
    }
    if (!used && nearest >= 0) {
      return "line " + l + " is indented " + std::to_string(here.spaces) + (here.spaces == 1 ? " space" : " spaces") +
             ", a column no key above it uses (line " +
             std::to_string(nearest_line) + "'s key is at " + std::to_string(nearest) +
             "): the keys of one section start in the same column";
    }
  }
  return "YAML nests by indentation: the keys of one section start in the same column, and a section's keys "
         "are indented under its 'name:' line";
}

}  // namespace

bool parse_yaml(const std::string& text, State& st, YAML::Node& root) {
  if (!prescan(text, st)) return false;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Location where = st.at(e.mark);
    if (where.line == 0) where = Location{st.source(), 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n')), 1};
    st.error(where, {}, "YAML syntax error: " + e.msg, {}, {}, indentation_hint(text, where.line, e.msg));
    return false;
  } catch (const std::exception& e) {
    st.error(Location{st.source(), 1, 1}, {}, std::string("YAML could not be read: ") + e.what());
    return false;
  }
  // PyYAML's safe_load (what Axolotl calls) refuses a stream of several documents; so do we, rather
  // than silently training on the first one.
  int docs = 0;
  if (const int line = second_document_line(text, &docs); line > 0) {
    st.error(Location{st.source(), line, 1}, {}, "the file holds " + std::to_string(docs) + " YAML documents",
             "a second document (after '---')", "one document",
             "a config is one YAML document: remove the '---' separator or split the file");
    return false;
  }
  return TreeCheck(st).run(root);
}

}  // namespace axolotl::config::detail
