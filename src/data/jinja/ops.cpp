// Python semantics of Jinja operations (see ops.h). The sandbox is immutable: no method mutates.
#include "axolotl/data/jinja/ops.h"

#include <cmath>

#include "axolotl/data/jinja/text.h"

namespace axolotl::data::jinja {

namespace {

[[noreturn]] void fault(const std::string& m) { throw Fault(m); }

std::optional<std::string> opt_str(const Args& a, size_t i, const char* name) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) fault(std::string("argument '") + name + "' must be str, not " + v->type_name());
  return v->str();
}

int64_t opt_int(const Args& a, size_t i, const char* name, int64_t def) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return def;
  if (!v->is_int()) fault(std::string("argument '") + name + "' must be int, not " + v->type_name());
  return v->as_int();
}

Value str_list(const std::vector<std::string>& parts) {
  List l;
  l.reserve(parts.size());
  for (const auto& p : parts) l.emplace_back(p);
  return Value(std::move(l));
}

// startswith/endswith accept a str or a tuple of str.
bool affix(const std::string& s, const Value& p, bool start) {
  if (p.is_list()) {
    for (const auto& e : p.list()) {
      if (affix(s, e, start)) return true;
    }
    return false;
  }
  if (!p.is_string()) fault("startswith/endswith first arg must be str or a tuple of str, not " + p.type_name());
  return start ? text::starts_with(s, p.str()) : text::ends_with(s, p.str());
}

Value string_method(const std::string& s, const std::string& name) {
  auto bind = [&](Function f) { return Value::function("str." + name, std::move(f)); };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool l = name != "rstrip", r = name != "lstrip";
    return bind([s, l, r](const Args& a) { return Value(text::strip(s, opt_str(a, 0, "chars"), l, r)); });
  }
  if (name == "split" || name == "rsplit") {
    bool rev = name == "rsplit";
    return bind([s, rev](const Args& a) {
      auto sep = opt_str(a, 0, "sep");
      if (sep && sep->empty()) fault("empty separator");
      int64_t maxsplit = opt_int(a, 1, "maxsplit", -1);
      return str_list(rev ? text::rsplit(s, sep, maxsplit) : text::split(s, sep, maxsplit));
    });
  }
  if (name == "startswith" || name == "endswith") {
    bool st = name == "startswith";
    return bind([s, st](const Args& a) {
      if (a.pos.empty()) fault("startswith/endswith takes one argument");
      return Value(affix(s, a.pos[0], st));
    });
  }
  if (name == "upper") return bind([s](const Args&) { return Value(text::upper(s)); });
  if (name == "lower") return bind([s](const Args&) { return Value(text::lower(s)); });
  if (name == "title") return bind([s](const Args&) { return Value(text::title(s)); });
  if (name == "capitalize") return bind([s](const Args&) { return Value(text::capitalize(s)); });
  if (name == "replace") {
    return bind([s](const Args& a) {
      auto from = opt_str(a, 0, "old"), to = opt_str(a, 1, "new");
      if (!from || !to) fault("replace takes two str arguments");
      return Value(text::replace(s, *from, *to, opt_int(a, 2, "count", -1)));
    });
  }
  if (name == "find" || name == "count") {
    bool count = name == "count";
    return bind([s, count](const Args& a) {
      auto sub = opt_str(a, 0, "sub");
      if (!sub) fault("find/count takes a str argument");
      if (!count) {
        size_t f = s.find(*sub);
        return Value(f == std::string::npos ? int64_t{-1} : static_cast<int64_t>(text::length(s.substr(0, f))));
      }
      if (sub->empty()) return Value(static_cast<int64_t>(text::length(s) + 1));
      int64_t n = 0;
      for (size_t p = s.find(*sub); p != std::string::npos; p = s.find(*sub, p + sub->size())) ++n;
      return Value(n);
    });
  }
  if (name == "join") {
    return bind([s](const Args& a) {
      if (a.pos.empty()) fault("join takes one argument");
      std::string out;
      bool first = true;
      for (const auto& e : iterate(a.pos[0])) {
        if (!e.is_string()) fault("sequence item: expected str instance, " + e.type_name() + " found");
        if (!first) out += s;
        out += e.str();
        first = false;
      }
      return Value(out);
    });
  }
  if (name == "splitlines") {
    return bind([s](const Args&) {
      std::vector<std::string> parts = text::split(s, std::string("\n"), -1);
      if (!parts.empty() && parts.back().empty()) parts.pop_back();
      return str_list(parts);
    });
  }
  if (name == "isspace" || name == "isdigit" || name == "isalpha" || name == "isalnum") {
    std::string n = name;
    return bind([s, n](const Args&) {
      std::u32string u = text::decode(s);
      if (u.empty()) return Value(false);
      for (char32_t c : u) {
        bool ok = n == "isspace" ? text::is_space(c)
                  : n == "isdigit" ? (c >= '0' && c <= '9')
                  : n == "isalpha" ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                                   : ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9');
        if (!ok) return Value(false);
      }
      return Value(true);
    });
  }
  return Value();
}

Value dict_method(const Value& d, const std::string& name) {
  if (name == "items" || name == "keys" || name == "values") {
    std::string n = name;
    return Value::function("dict." + name, [d, n](const Args&) {
      List l;
      for (const auto& kv : d.dict().items) {
        if (n == "items") l.push_back(Value::tuple(List{Value(kv.first), kv.second}));
        else if (n == "keys") l.emplace_back(kv.first);
        else l.push_back(kv.second);
      }
      return Value(std::move(l));
    });
  }
  if (name == "get") {
    return Value::function("dict.get", [d](const Args& a) {
      if (a.pos.empty()) fault("get expected at least 1 argument");
      const Value* v = a.pos[0].is_string() ? d.dict().find(a.pos[0].str()) : nullptr;
      if (v) return *v;
      return a.pos.size() > 1 ? a.pos[1] : Value::none();
    });
  }
  if (name == "update" || name == "pop" || name == "setdefault" || name == "clear" || name == "popitem") {
    return Value::function("dict." + name, [name](const Args&) -> Value {
      fault("access to the unsafe method dict." + name + " (the sandbox is immutable; use namespace())");
    });
  }
  return Value();
}

int64_t norm_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

}  // namespace

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined: fault("'" + name + "' of an undefined value (the value is undefined)");
    case Value::Kind::kString: return string_method(obj.str(), name);
    case Value::Kind::kDict: {
      Value m = dict_method(obj, name);
      if (!m.is_undefined()) return m;
      const Value* v = obj.dict().find(name);
      return v ? *v : Value();
    }
    case Value::Kind::kNamespace: {
      const Value* v = obj.namespace_dict().find(name);
      return v ? *v : Value();
    }
    case Value::Kind::kList:
      if (name == "append" || name == "extend" || name == "pop" || name == "insert" || name == "remove") {
        return Value::function("list." + name, [name](const Args&) -> Value {
          fault("access to the unsafe method list." + name + " (the sandbox is immutable; use namespace())");
        });
      }
      return Value();
    default: return Value();
  }
}

Value get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined: fault("subscript of an undefined value");
    case Value::Kind::kList: {
      if (!key.is_int()) return Value();
      int64_t n = static_cast<int64_t>(obj.list().size());
      int64_t i = norm_index(key.as_int(), n);
      return i >= 0 && i < n ? obj.list()[static_cast<size_t>(i)] : Value();
    }
    case Value::Kind::kString: {
      if (!key.is_int()) return Value();
      std::u32string u = text::decode(obj.str());
      int64_t n = static_cast<int64_t>(u.size());
      int64_t i = norm_index(key.as_int(), n);
      return i >= 0 && i < n ? Value(text::encode(u.substr(static_cast<size_t>(i), 1))) : Value();
    }
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      if (!key.is_string()) return Value();
      const Value* v = obj.namespace_dict().find(key.str());
      if (v) return *v;
      return obj.is_dict() ? dict_method(obj, key.str()) : Value();
    }
    default: return Value();
  }
}

Value slice(const Value& obj, const std::optional<int64_t>& start, const std::optional<int64_t>& stop,
            const std::optional<int64_t>& step) {
  int64_t st = step.value_or(1);
  if (st == 0) fault("slice step cannot be zero");
  bool is_str = obj.is_string();
  if (!is_str && !obj.is_list()) fault("'" + obj.type_name() + "' object is not subscriptable");
  std::u32string u = is_str ? text::decode(obj.str()) : std::u32string();
  int64_t n = is_str ? static_cast<int64_t>(u.size()) : static_cast<int64_t>(obj.list().size());
  auto clamp = [&](std::optional<int64_t> v, int64_t def) {  // Python slice.indices()
    if (!v) return def;
    int64_t x = *v < 0 ? *v + n : *v;
    if (st > 0) return x < 0 ? 0 : (x > n ? n : x);
    return x < 0 ? -1 : (x >= n ? n - 1 : x);
  };
  int64_t b = clamp(start, st > 0 ? 0 : n - 1), e = clamp(stop, st > 0 ? n : -1);
  std::u32string su;
  List sl;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    if (is_str) su.push_back(u[static_cast<size_t>(i)]);
    else sl.push_back(obj.list()[static_cast<size_t>(i)]);
  }
  return is_str ? Value(text::encode(su)) : Value(std::move(sl));
}

List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: return v.list();
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      List l;
      for (const auto& kv : v.namespace_dict().items) l.emplace_back(kv.first);
      return l;
    }
    case Value::Kind::kString: {
      List l;
      for (char32_t c : text::decode(v.str())) l.emplace_back(text::encode(std::u32string(1, c)));
      return l;
    }
    default: fault("'" + v.type_name() + "' object is not iterable");
  }
}

bool contains(const Value& c, const Value& item) {
  if (c.is_string()) {
    if (!item.is_string()) fault("'in <string>' requires string as left operand, not " + item.type_name());
    return c.str().find(item.str()) != std::string::npos;
  }
  if (c.is_mapping()) return item.is_string() && c.namespace_dict().find(item.str()) != nullptr;
  if (c.is_list()) {
    for (const auto& e : c.list()) {
      if (e.equals(item)) return true;
    }
    return false;
  }
  if (c.is_undefined()) return false;
  fault("argument of type '" + c.type_name() + "' is not iterable");
}

int64_t length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return 0;
    case Value::Kind::kString: return static_cast<int64_t>(text::length(v.str()));
    case Value::Kind::kList: return static_cast<int64_t>(v.list().size());
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: return static_cast<int64_t>(v.namespace_dict().items.size());
    default: fault("object of type '" + v.type_name() + "' has no len()");
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() != Value::Kind::kFloat && b.kind() != Value::Kind::kFloat) {
      return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
    }
    return a.as_float() < b.as_float() ? -1 : a.as_float() > b.as_float();
  }
  if (a.is_string() && b.is_string()) return a.str().compare(b.str()) < 0 ? -1 : a.str() != b.str();
  if (a.is_list() && b.is_list()) {
    const List &x = a.list(), &y = b.list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!x[i].equals(y[i])) return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size();
  }
  fault("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value(a.to_output() + b.to_output());
  auto bad = [&]() -> Value {
    fault("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
  };
  if (a.is_number() && b.is_number()) {
    bool ints = a.kind() != Value::Kind::kFloat && b.kind() != Value::Kind::kFloat;
    int64_t x = a.as_int(), y = b.as_int();
    double fx = a.as_float(), fy = b.as_float();
    if (op == "+") return ints ? Value(x + y) : Value(fx + fy);
    if (op == "-") return ints ? Value(x - y) : Value(fx - fy);
    if (op == "*") return ints ? Value(x * y) : Value(fx * fy);
    if (op == "/") {
      if (fy == 0) fault("division by zero");
      return Value(fx / fy);
    }
    if (op == "//" || op == "%") {
      if (ints ? y == 0 : fy == 0) fault(op == "//" ? "integer division or modulo by zero" : "modulo by zero");
      if (ints) {
        int64_t q = x / y, r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) {
          --q;
          r += y;
        }
        return op == "//" ? Value(q) : Value(r);
      }
      double q = std::floor(fx / fy);
      return op == "//" ? Value(q) : Value(fx - q * fy);
    }
    if (op == "**") {
      if (ints && y >= 0) {
        int64_t r = 1;
        for (int64_t i = 0; i < y; ++i) r *= x;
        return Value(r);
      }
      return Value(std::pow(fx, fy));
    }
    return bad();
  }
  if (op == "+" && a.is_string() && b.is_string()) return Value(a.str() + b.str());
  if (op == "+" && a.is_list() && b.is_list()) {
    List l = a.list();
    l.insert(l.end(), b.list().begin(), b.list().end());
    return Value(std::move(l));
  }
  if (op == "*" && (a.is_string() || a.is_list()) && b.is_int()) {
    if (a.is_string()) {
      std::string out;
      for (int64_t i = 0; i < b.as_int(); ++i) out += a.str();
      return Value(out);
    }
    List l;
    for (int64_t i = 0; i < b.as_int(); ++i) l.insert(l.end(), a.list().begin(), a.list().end());
    return Value(std::move(l));
  }
  if (op == "%" && a.is_string()) fault("unsupported construct: printf-style string formatting with %");
  if (a.is_undefined() || b.is_undefined()) fault("an operand of " + op + " is undefined");
  return bad();
}

}  // namespace axolotl::data::jinja
