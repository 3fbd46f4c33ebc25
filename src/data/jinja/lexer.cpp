// Jinja lexer (see lexer.h). Whitespace rules follow jinja2/lexer.py `tokeniter` as transformers
// configures it (FORMATS2.md §2.1): trim_blocks drops one newline after `%}`/`#}`; lstrip_blocks
// drops spaces/tabs from line start up to `{%`/`{#`; the source's final newline is removed.
#include "axolotl/data/jinja/lexer.h"

#include <algorithm>
#include <cstdlib>

#include "axolotl/data/jinja/text.h"
#include "axolotl/util/error.h"

namespace axolotl::data::jinja {

void template_error(const std::string& source_name, Pos pos, const std::string& message, const std::string& found,
                    const std::string& expected) {
  Diagnostic d;
  d.where.file = source_name;
  d.where.line = pos.line;
  d.where.column = pos.column;
  d.message = message;
  d.found = found;
  d.expected = expected;
  throw Error(d);
}

namespace {

class Lexer {
 public:
  Lexer(const std::string& src, const std::string& name) : name_(name) {
    s_.reserve(src.size());
    for (size_t i = 0; i < src.size(); ++i) {  // newline normalisation: \r\n and \r become \n
      if (src[i] == '\r') {
        s_.push_back('\n');
        if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
      } else {
        s_.push_back(src[i]);
      }
    }
    if (!s_.empty() && s_.back() == '\n') s_.pop_back();  // keep_trailing_newline=False
    line_starts_.push_back(0);
    for (size_t i = 0; i < s_.size(); ++i) {
      if (s_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    size_t p = 0;
    bool strip_next = false, trim_next = false, line_starting = true;
    while (p < s_.size()) {
      size_t t = find_tag(p);
      std::string txt = s_.substr(p, t - p);
      if (strip_next) txt = text::strip(txt, std::nullopt, true, false);
      else if (trim_next && !txt.empty() && txt[0] == '\n') txt.erase(0, 1);
      strip_next = trim_next = false;
      if (t == s_.size()) {
        emit_text(txt, p);
        break;
      }
      char kind = s_[t + 1];
      char mod = t + 2 < s_.size() ? s_[t + 2] : '\0';
      if (mod == '-') {
        txt = text::strip(txt, std::nullopt, false, true);
      } else if (mod != '+' && kind != '{') {  // lstrip_blocks
        size_t nl = txt.rfind('\n');
        size_t l = nl == std::string::npos ? 0 : nl + 1;
        if ((l > 0 || line_starting) && txt.find_first_not_of(" \t", l) == std::string::npos) txt.erase(l);
      }
      emit_text(txt, p);
      size_t body = t + 2 + (mod == '-' || mod == '+' ? 1 : 0);
      size_t end;
      bool right_strip = false, no_trim = false;
      if (kind == '#') {
        size_t c = s_.find("#}", body);
        if (c == std::string::npos) template_error(name_, pos(t), "unterminated comment", "{#", "#}");
        right_strip = c > body && s_[c - 1] == '-';
        no_trim = c > body && s_[c - 1] == '+';
        end = c + 2;
      } else if (kind == '%' && is_raw(body)) {
        end = lex_raw(t, body, right_strip, no_trim);
      } else {
        end = lex_tag(t, kind, body, right_strip, no_trim);
      }
      line_starting = false;
      if (right_strip) {
        strip_next = true;
      } else if (kind != '{' && !no_trim) {
        trim_next = true;
        line_starting = end < s_.size() && s_[end] == '\n';
      }
      p = end;
    }
    out_.push_back({Token::Type::kEof, "", pos(s_.size())});
    return std::move(out_);
  }

 private:
  Pos pos(size_t off) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    return {static_cast<int>(line), static_cast<int>(off - line_starts_[line - 1] + 1)};
  }

  size_t find_tag(size_t p) const {
    while (true) {
      size_t t = s_.find('{', p);
      if (t == std::string::npos || t + 1 >= s_.size()) return s_.size();
      char c = s_[t + 1];
      if (c == '{' || c == '%' || c == '#') return t;
      p = t + 1;
    }
  }

  void emit_text(const std::string& txt, size_t at) {
    if (!txt.empty()) out_.push_back({Token::Type::kText, txt, pos(at)});
  }

  bool is_raw(size_t body) const {
    size_t b = s_.find_first_not_of(" \t\n", body);
    return b != std::string::npos && s_.compare(b, 3, "raw") == 0 &&
           (b + 3 >= s_.size() || !(std::isalnum(static_cast<unsigned char>(s_[b + 3])) || s_[b + 3] == '_'));
  }

  // {% raw %}...{% endraw %}: the body is text, whitespace control applies on both tags.
  size_t lex_raw(size_t t, size_t body, bool& right_strip, bool& no_trim) {
    size_t close = s_.find("%}", body);
    if (close == std::string::npos) template_error(name_, pos(t), "unterminated block tag", "{%", "%}");
    size_t start = close + 2;
    bool inner_strip = s_[close - 1] == '-';
    size_t search = start;
    while (true) {
      size_t e = s_.find("{%", search);
      if (e == std::string::npos) template_error(name_, pos(t), "missing endraw", "{% raw %}", "{% endraw %}");
      size_t b = e + 2;
      bool lstrip = b < s_.size() && s_[b] == '-';
      if (b < s_.size() && (s_[b] == '-' || s_[b] == '+')) ++b;
      b = s_.find_first_not_of(" \t\n", b);
      if (b != std::string::npos && s_.compare(b, 6, "endraw") == 0) {
        size_t c = s_.find("%}", b);
        if (c == std::string::npos) template_error(name_, pos(e), "unterminated block tag", "{%", "%}");
        std::string txt = s_.substr(start, e - start);
        if (inner_strip) txt = text::strip(txt, std::nullopt, true, false);
        if (lstrip) txt = text::strip(txt, std::nullopt, false, true);
        emit_text(txt, start);
        right_strip = s_[c - 1] == '-';
        no_trim = s_[c - 1] == '+';
        return c + 2;
      }
      search = e + 2;
    }
  }

  size_t lex_tag(size_t t, char kind, size_t p, bool& right_strip, bool& no_trim) {
    bool var = kind == '{';
    out_.push_back({var ? Token::Type::kVarBegin : Token::Type::kBlockBegin, "", pos(t)});
    const char close = var ? '}' : '%';
    int depth = 0;
    while (true) {
      while (p < s_.size() && std::isspace(static_cast<unsigned char>(s_[p]))) ++p;
      if (p >= s_.size()) template_error(name_, pos(t), "unterminated tag", var ? "{{" : "{%", var ? "}}" : "%}");
      if (depth == 0) {
        size_t q = p;
        if ((s_[q] == '-' || s_[q] == '+') && q + 2 < s_.size() + 1 && s_.compare(q + 1, 2, std::string{close, '}'}) == 0) {
          right_strip = s_[q] == '-';
          no_trim = s_[q] == '+';
          q += 1;
        }
        if (s_.compare(q, 2, std::string{close, '}'}) == 0) {
          out_.push_back({var ? Token::Type::kVarEnd : Token::Type::kBlockEnd, "", pos(p)});
          return q + 2;
        }
        right_strip = no_trim = false;
      }
      p = lex_one(p, depth);
    }
  }

  size_t lex_one(size_t p, int& depth) {
    char c = s_[p];
    Pos at = pos(p);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = p;
      while (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
      out_.push_back({Token::Type::kName, s_.substr(p, e - p), at});
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number(p);
    if (c == '\'' || c == '"') return lex_string(p);
    static const char* two[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : two) {
      if (s_.compare(p, 2, op) == 0) {
        out_.push_back({Token::Type::kOp, op, at});
        return p + 2;
      }
    }
    if (std::string("+-*/%~<>=()[]{},.:|").find(c) != std::string::npos) {
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      out_.push_back({Token::Type::kOp, std::string(1, c), at});
      return p + 1;
    }
    template_error(name_, at, "unexpected character in a tag", std::string(1, c));
  }

  size_t lex_number(size_t p) {
    size_t e = p;
    bool is_float = false;
    while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
    if (e + 1 < s_.size() && s_[e] == '.' && std::isdigit(static_cast<unsigned char>(s_[e + 1]))) {
      is_float = true;
      ++e;
      while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
    }
    if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
      size_t q = e + 1;
      if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
      if (q < s_.size() && std::isdigit(static_cast<unsigned char>(s_[q]))) {
        is_float = true;
        e = q;
        while (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) ++e;
      }
    }
    std::string num;
    for (size_t i = p; i < e; ++i) {
      if (s_[i] != '_') num.push_back(s_[i]);
    }
    out_.push_back({is_float ? Token::Type::kFloat : Token::Type::kInt, num, pos(p)});
    return e;
  }

  // Python string-literal escapes, as Jinja decodes them (unicode-escape); unknown escapes stay.
  size_t lex_string(size_t p) {
    char q = s_[p];
    std::string v;
    size_t i = p + 1;
    while (true) {
      if (i >= s_.size()) template_error(name_, pos(p), "unterminated string literal", std::string(1, q));
      char c = s_[i];
      if (c == q) break;
      if (c != '\\' || i + 1 >= s_.size()) {
        v.push_back(c);
        ++i;
        continue;
      }
      char n = s_[i + 1];
      i += 2;
      switch (n) {
        case 'n': v.push_back('\n'); break;
        case 't': v.push_back('\t'); break;
        case 'r': v.push_back('\r'); break;
        case '\\': v.push_back('\\'); break;
        case '\'': v.push_back('\''); break;
        case '"': v.push_back('"'); break;
        case 'a': v.push_back('\a'); break;
        case 'b': v.push_back('\b'); break;
        case 'f': v.push_back('\f'); break;
        case 'v': v.push_back('\v'); break;
        case '\n': break;
        case 'x':
        case 'u':
        case 'U': {
          size_t len = n == 'x' ? 2 : n == 'u' ? 4 : 8;
          std::string hex = s_.substr(i, len);
          if (hex.size() != len || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            template_error(name_, pos(i - 2), "bad escape in string literal", "\\" + std::string(1, n) + hex);
          }
          v += text::encode(std::u32string(1, static_cast<char32_t>(std::strtoul(hex.c_str(), nullptr, 16))));
          i += len;
          break;
        }
        default: v.push_back('\\'); v.push_back(n);
      }
    }
    out_.push_back({Token::Type::kString, v, pos(p)});
    return i + 1;
  }

  std::string name_;
  std::string s_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lex(const std::string& source, const std::string& source_name) {
  return Lexer(source, source_name).run();
}

}  // namespace axolotl::data::jinja
