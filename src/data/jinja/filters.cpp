// Filters and tests (see filters.h); semantics from jinja2/filters.py and jinja2/tests.py, tojson
// from transformers' chat_template_utils.py.
#include "axolotl/data/jinja/filters.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "axolotl/data/jinja/ops.h"
#include "axolotl/data/jinja/text.h"

namespace axolotl::data::jinja {

namespace {

[[noreturn]] void fault(const std::string& m) { throw Fault(m); }

const std::set<std::string>& filter_names() {
  static const std::set<std::string> k{"abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e",
                                       "escape", "first", "float", "indent", "int", "items", "join", "last",
                                       "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
                                       "replace", "reverse", "round", "safe", "select", "selectattr", "sort",
                                       "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount"};
  return k;
}

const std::set<std::string>& test_names() {
  static const std::set<std::string> k{"boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even",
                                       "false", "float", "ge", "gt", "greaterthan", "in", "integer", "iterable",
                                       "le", "lessthan", "lower", "lt", "mapping", "ne", "none", "number", "odd",
                                       "sameas", "sequence", "string", "true", "undefined", "upper"};
  return k;
}

bool arg_bool(const Args& a, size_t i, const char* name, bool def) {
  const Value* v = a.get(i, name);
  return v ? v->truthy() : def;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (u < 0x20 || u == 0x7F) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", u);
          out += b;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

void dump(const Value& v, int indent, bool sort_keys, int depth, std::string& out) {
  auto newline = [&](int d) {
    out.push_back('\n');
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  const char* item_sep = indent >= 0 ? "," : ", ";
  switch (v.kind()) {
    case Value::Kind::kUndefined: fault("Object of type Undefined is not JSON serializable");
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity") : python_float_repr(d);
      return;
    }
    case Value::Kind::kString: out += json_string(v.str()); return;
    case Value::Kind::kList: {
      if (v.list().empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < v.list().size(); ++i) {
        if (i) out += item_sep;
        if (indent >= 0) newline(depth + 1);
        dump(v.list()[i], indent, sort_keys, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out.push_back(']');
      return;
    }
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      auto items = v.namespace_dict().items;
      if (items.empty()) {
        out += "{}";
        return;
      }
      if (sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      }
      out.push_back('{');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        if (indent >= 0) newline(depth + 1);
        out += json_string(items[i].first) + ": ";
        dump(items[i].second, indent, sort_keys, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out.push_back('}');
      return;
    }
    default: fault("Object of type function is not JSON serializable");
  }
}

std::string as_text(const Value& v) { return v.to_output(); }

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// select/reject/selectattr/rejectattr: the test is args[first] (default: truthiness).
Value select(const Value& seq, const Args& a, bool by_attr, bool keep) {
  size_t first = by_attr ? 1 : 0;
  std::string attr;
  if (by_attr) {
    if (a.pos.empty() || !a.pos[0].is_string()) fault("selectattr/rejectattr need an attribute name");
    attr = a.pos[0].str();
  }
  std::string test;
  Args targs;
  if (a.pos.size() > first) {
    if (!a.pos[first].is_string()) fault("the test name must be a string");
    test = a.pos[first].str();
    if (!is_test(test)) fault("unsupported test '" + test + "'");
    targs.pos.assign(a.pos.begin() + static_cast<long>(first) + 1, a.pos.end());
  }
  List out;
  for (const auto& e : iterate(seq)) {
    Value subject = by_attr ? (e.is_undefined() ? Value() : get_attr(e, attr)) : e;
    bool ok = test.empty() ? subject.truthy() : apply_test(test, subject, targs);
    if (ok == keep) out.push_back(e);
  }
  return Value(std::move(out));
}

Value sorted(const Value& seq, const Args& a) {
  List l = iterate(seq);
  bool reverse = arg_bool(a, 0, "reverse", false);
  const Value* attr = a.get(2, "attribute");
  bool cs = arg_bool(a, 1, "case_sensitive", false);
  auto key = [&](const Value& v) {
    Value k = attr && attr->is_string() ? get_attr(v, attr->str()) : v;
    return k.is_string() && !cs ? Value(text::lower(k.str())) : k;
  };
  std::stable_sort(l.begin(), l.end(), [&](const Value& x, const Value& y) {
    int c = compare(key(x), key(y));
    return reverse ? c > 0 : c < 0;
  });
  return Value(std::move(l));
}

}  // namespace

std::string to_json_text(const Value& v, int indent, bool sort_keys) {
  std::string out;
  dump(v, indent, sort_keys, 0, out);
  return out;
}

bool is_filter(const std::string& name) { return filter_names().count(name) > 0; }
bool is_test(const std::string& name) { return test_names().count(name) > 0; }

Value apply_filter(const std::string& n, const Value& v, const Args& a) {
  if (n == "trim") {
    const Value* chars = a.get(0, "chars");
    return Value(text::strip(as_text(v), chars && chars->is_string() ? std::optional(chars->str()) : std::nullopt,
                             true, true));
  }
  if (n == "length" || n == "count") return Value(length(v));
  if (n == "tojson") {
    const Value* ind = a.get(1, "indent");  // transformers: tojson(x, ensure_ascii, indent, separators, sort_keys)
    if (!ind) ind = a.kwarg("indent");
    int indent = ind && ind->is_int() ? static_cast<int>(ind->as_int()) : -1;
    const Value* sk = a.kwarg("sort_keys");
    return Value(to_json_text(v, indent, sk && sk->truthy()));
  }
  if (n == "upper") return Value(text::upper(as_text(v)));
  if (n == "lower") return Value(text::lower(as_text(v)));
  if (n == "title") return Value(text::title(as_text(v)));
  if (n == "capitalize") return Value(text::capitalize(as_text(v)));
  if (n == "string") return v.is_string() ? v : Value(as_text(v));
  if (n == "safe") return v;
  if (n == "e" || n == "escape") return Value(escape_html(as_text(v)));
  if (n == "replace") {
    if (a.pos.size() < 2) fault("replace needs old and new");
    const Value* count = a.get(2, "count");
    return Value(text::replace(as_text(v), as_text(a.pos[0]), as_text(a.pos[1]),
                               count && count->is_int() ? count->as_int() : -1));
  }
  if (n == "first" || n == "last") {
    List l = iterate(v);
    if (l.empty()) return Value();
    return n == "first" ? l.front() : l.back();
  }
  if (n == "default" || n == "d") {
    Value def = a.pos.empty() ? Value("") : a.pos[0];
    bool boolean = arg_bool(a, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !v.truthy())) return def;
    return v;
  }
  if (n == "join") {
    const Value* sep = a.get(0, "d");
    const Value* attr = a.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const auto& e : iterate(v)) {
      if (!first) out += sep ? as_text(*sep) : "";
      out += as_text(attr && attr->is_string() ? get_attr(e, attr->str()) : e);
      first = false;
    }
    return Value(out);
  }
  if (n == "selectattr" || n == "rejectattr") return select(v, a, true, n == "selectattr");
  if (n == "select" || n == "reject") return select(v, a, false, n == "select");
  if (n == "map") {
    List out;
    const Value* attr = a.kwarg("attribute");
    const Value* def = a.kwarg("default");
    for (const auto& e : iterate(v)) {
      if (attr) {
        Value r = get_attr(e, as_text(*attr));
        out.push_back(r.is_undefined() && def ? *def : r);
      } else {
        if (a.pos.empty() || !a.pos[0].is_string() || !is_filter(a.pos[0].str())) fault("map needs a filter name");
        Args fa;
        fa.pos.assign(a.pos.begin() + 1, a.pos.end());
        fa.kw = a.kw;
        out.push_back(apply_filter(a.pos[0].str(), e, fa));
      }
    }
    return Value(std::move(out));
  }
  if (n == "attr") return a.pos.empty() ? Value() : get_attr(v, as_text(a.pos[0]));
  if (n == "items") {
    if (v.is_undefined()) return Value(List{});
    if (!v.is_mapping()) fault("items filter needs a mapping, got " + v.type_name());
    List out;
    for (const auto& kv : v.namespace_dict().items) out.push_back(Value::tuple(List{Value(kv.first), kv.second}));
    return Value(std::move(out));
  }
  if (n == "dictsort") {
    if (!v.is_mapping()) fault("dictsort needs a mapping");
    auto items = v.namespace_dict().items;
    std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    List out;
    for (const auto& kv : items) out.push_back(Value::tuple(List{Value(kv.first), kv.second}));
    return Value(std::move(out));
  }
  if (n == "list") return Value(iterate(v));
  if (n == "reverse") {
    if (v.is_string()) return slice(v, std::nullopt, std::nullopt, -1);
    List l = iterate(v);
    std::reverse(l.begin(), l.end());
    return Value(std::move(l));
  }
  if (n == "sort") return sorted(v, a);
  if (n == "unique") {
    List out;
    for (const auto& e : iterate(v)) {
      if (!contains(Value(out), e)) out.push_back(e);
    }
    return Value(std::move(out));
  }
  if (n == "int") {
    const Value* def = a.get(0, "default");
    if (v.is_number()) return Value(static_cast<int64_t>(v.as_float()));
    try {
      std::string s = text::strip(as_text(v), std::nullopt, true, true);
      size_t used = 0;
      int64_t r = std::stoll(s, &used);
      if (used == s.size()) return Value(r);
      double d = std::stod(s, &used);
      if (used == s.size()) return Value(static_cast<int64_t>(d));
    } catch (const std::exception&) {
    }
    return def ? *def : Value(int64_t{0});
  }
  if (n == "float") {
    if (v.is_number()) return Value(v.as_float());
    try {
      return Value(std::stod(as_text(v)));
    } catch (const std::exception&) {
      return a.pos.empty() ? Value(0.0) : a.pos[0];
    }
  }
  if (n == "abs") {
    if (!v.is_number()) fault("bad operand type for abs(): '" + v.type_name() + "'");
    return v.kind() == Value::Kind::kFloat ? Value(std::fabs(v.as_float())) : Value(static_cast<int64_t>(std::llabs(v.as_int())));
  }
  if (n == "round") {
    int64_t prec = a.pos.empty() ? 0 : a.pos[0].as_int();
    double m = std::pow(10.0, static_cast<double>(prec));
    return Value(std::round(v.as_float() * m) / m);
  }
  if (n == "sum" || n == "max" || n == "min") {
    List l = iterate(v);
    if (n == "sum") {
      Value acc(int64_t{0});
      for (const auto& e : l) acc = binary_op("+", acc, e);
      return acc;
    }
    if (l.empty()) return Value();
    Value best = l[0];
    for (const auto& e : l) {
      int c = compare(e, best);
      if (n == "max" ? c > 0 : c < 0) best = e;
    }
    return best;
  }
  if (n == "indent") {
    const Value* w = a.get(0, "width");
    std::string pad = w && w->is_string() ? w->str() : std::string(w ? static_cast<size_t>(w->as_int()) : 4, ' ');
    bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
    std::vector<std::string> lines = text::split(as_text(v), std::string("\n"), -1);
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) out += "\n";
      bool ind = (i > 0 || first) && (blank || !lines[i].empty());
      out += (ind ? pad : "") + lines[i];
    }
    return Value(out);
  }
  if (n == "wordcount") return Value(static_cast<int64_t>(text::split(as_text(v), std::nullopt, -1).size()));
  fault("unsupported filter '" + n + "'");
}

bool apply_test(const std::string& n, const Value& v, const Args& a) {
  const Value* arg = a.pos.empty() ? nullptr : &a.pos[0];
  auto need = [&]() -> const Value& {
    if (!arg) fault("test '" + n + "' needs an argument");
    return *arg;
  };
  if (n == "defined") return !v.is_undefined();
  if (n == "undefined") return v.is_undefined();
  if (n == "none") return v.is_none();
  if (n == "string") return v.is_string();
  if (n == "mapping") return v.is_dict();
  if (n == "iterable") return v.is_string() || v.is_list() || v.is_mapping() || v.is_undefined();
  if (n == "sequence") return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  if (n == "number") return v.is_number();
  if (n == "integer") return v.kind() == Value::Kind::kInt;
  if (n == "float") return v.kind() == Value::Kind::kFloat;
  if (n == "boolean") return v.is_bool();
  if (n == "true") return v.is_bool() && v.as_bool();
  if (n == "false") return v.is_bool() && !v.as_bool();
  if (n == "callable") return v.is_callable();
  if (n == "equalto" || n == "eq" || n == "sameas") return v.equals(need());
  if (n == "ne") return !v.equals(need());
  if (n == "gt" || n == "greaterthan") return compare(v, need()) > 0;
  if (n == "ge") return compare(v, need()) >= 0;
  if (n == "lt" || n == "lessthan") return compare(v, need()) < 0;
  if (n == "le") return compare(v, need()) <= 0;
  if (n == "in") return contains(need(), v);
  if (n == "odd" || n == "even") {
    if (!v.is_int()) fault("odd/even need an integer");
    return (v.as_int() % 2 != 0) == (n == "odd");
  }
  if (n == "divisibleby") {
    int64_t d = need().as_int();
    if (d == 0) fault("integer division or modulo by zero");
    return v.as_int() % d == 0;
  }
  if (n == "lower") return v.is_string() && text::lower(v.str()) == v.str();
  if (n == "upper") return v.is_string() && text::upper(v.str()) == v.str();
  fault("unsupported test '" + n + "'");
}

}  // namespace axolotl::data::jinja
