// Evaluator (see evaluator.h). Scoping follows jinja2 as rendered by transformers: a `set` inside a
// for body lives only for that iteration; `loop` is rebuilt per iteration only when the body uses it.
#include "axolotl/data/jinja/evaluator.h"

#include <ctime>

#include "axolotl/data/jinja/filters.h"
#include "axolotl/data/jinja/ops.h"
#include "axolotl/util/error.h"

namespace axolotl::data::jinja {

namespace {

class Raised : public Fault {  // raise_exception(msg)
 public:
  using Fault::Fault;
};

struct Frame {
  const Frame* parent = nullptr;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* lookup(const std::string& n) const {
    for (const Frame* f = this; f; f = f->parent) {
      for (const auto& kv : f->vars) {
        if (kv.first == n) return &kv.second;
      }
    }
    return nullptr;
  }
  void set(const std::string& n, Value v) {
    for (auto& kv : vars) {
      if (kv.first == n) {
        kv.second = std::move(v);
        return;
      }
    }
    vars.emplace_back(n, std::move(v));
  }
};

const Frame& globals() {
  static const Frame g = [] {
    Frame f;
    f.set("namespace", Value::function("namespace", [](const Args& a) {
      Dict d;
      for (const auto& p : a.pos) {
        if (!p.is_mapping()) throw Fault("namespace() takes a mapping or keyword arguments");
        for (const auto& kv : p.namespace_dict().items) d.set(kv.first, kv.second);
      }
      for (const auto& kv : a.kw) d.set(kv.first, kv.second);
      return Value::make_namespace(std::move(d));
    }));
    f.set("dict", Value::function("dict", [](const Args& a) {
      Dict d;
      for (const auto& kv : a.kw) d.set(kv.first, kv.second);
      return Value(std::move(d));
    }));
    f.set("range", Value::function("range", [](const Args& a) {
      int64_t start = 0, stop = 0, step = 1;
      for (const auto& p : a.pos) {
        if (!p.is_int()) throw Fault("range() takes integers, not " + p.type_name());
      }
      if (a.pos.size() == 1) stop = a.pos[0].as_int();
      else if (a.pos.size() >= 2) start = a.pos[0].as_int(), stop = a.pos[1].as_int();
      if (a.pos.size() == 3) step = a.pos[2].as_int();
      if (a.pos.empty() || a.pos.size() > 3 || step == 0) throw Fault("range() takes 1 to 3 integers, step not 0");
      List l;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) l.emplace_back(i);
      return Value(std::move(l));
    }));
    f.set("raise_exception", Value::function("raise_exception", [](const Args& a) -> Value {
      throw Raised(a.pos.empty() ? std::string() : a.pos[0].to_output());
    }));
    f.set("strftime_now", Value::function("strftime_now", [](const Args& a) {
      if (a.pos.empty() || !a.pos[0].is_string()) throw Fault("strftime_now() takes a format string");
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      localtime_r(&t, &tm);
      char buf[256];
      size_t n = std::strftime(buf, sizeof buf, a.pos[0].str().c_str(), &tm);
      return Value(std::string(buf, n));
    }));
    return f;
  }();
  return g;
}

enum class Flow { kNormal, kBreak, kContinue };

class Evaluator {
 public:
  explicit Evaluator(const Program& p) : p_(p) {}

  std::string run(const Dict& vars) {
    Frame top;
    top.parent = &globals();
    top.vars = vars.items;
    top_ = &top;
    std::string out;
    exec(p_.body, top, out);
    return out;
  }

 private:
  [[noreturn]] void fail_at(Pos pos, const std::string& msg, const std::string& found = "") const {
    template_error(p_.name, pos, msg, found);
  }

  Value eval(const Expr& e, Frame& f) {
    try {
      return eval_inner(e, f);
    } catch (const Raised& r) {
      fail_at(e.pos, "the template raised an exception", r.what());
    } catch (const Fault& x) {
      fail_at(e.pos, x.what());
    }
  }

  Args eval_args(const Expr& e, Frame& f, size_t first) {
    Args a;
    for (size_t i = first; i < e.args.size(); ++i) a.pos.push_back(eval(*e.args[i], f));
    for (const auto& kv : e.kwargs) a.kw.emplace_back(kv.first, eval(*kv.second, f));
    return a;
  }

  static std::optional<int64_t> slice_part(const Value& v) {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int()) throw Fault("slice indices must be integers or None");
    return v.as_int();
  }

  Value eval_inner(const Expr& e, Frame& f) {
    switch (e.kind) {
      case Expr::Kind::kLiteral: return e.value;
      case Expr::Kind::kName: {
        const Value* v = f.lookup(e.name);
        return v ? *v : Value();
      }
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        List l;
        l.reserve(e.args.size());
        for (const auto& a : e.args) l.push_back(eval(*a, f));
        return e.kind == Expr::Kind::kTuple ? Value::tuple(std::move(l)) : Value(std::move(l));
      }
      case Expr::Kind::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i], f);
          if (!k.is_string()) throw Fault("dict literal keys must be strings here, not " + k.type_name());
          d.set(k.str(), eval(*e.args[i + 1], f));
        }
        return Value(std::move(d));
      }
      case Expr::Kind::kGetAttr: return get_attr(eval(*e.args[0], f), e.name);
      case Expr::Kind::kGetItem: return get_item(eval(*e.args[0], f), eval(*e.args[1], f));
      case Expr::Kind::kSlice: {
        Value obj = eval(*e.args[0], f);
        std::optional<int64_t> parts[3];
        for (int i = 0; i < 3; ++i) {
          if (e.args[1 + i]) parts[i] = slice_part(eval(*e.args[1 + i], f));
        }
        return slice(obj, parts[0], parts[1], parts[2]);
      }
      case Expr::Kind::kCall: {
        Value callee = eval(*e.args[0], f);
        if (!callee.is_callable()) {
          throw Fault(callee.is_undefined() ? "call of an undefined value" : "'" + callee.type_name() + "' object is not callable");
        }
        return callee.call(eval_args(e, f, 1));
      }
      case Expr::Kind::kFilter: return apply_filter(e.name, eval(*e.args[0], f), eval_args(e, f, 1));
      case Expr::Kind::kTest: {
        bool r = apply_test(e.name, eval(*e.args[0], f), eval_args(e, f, 1));
        return Value(r != e.negated);
      }
      case Expr::Kind::kUnary: {
        Value v = eval(*e.args[0], f);
        if (e.name == "not") return Value(!v.truthy());
        if (!v.is_number()) throw Fault("bad operand type for unary " + e.name + ": '" + v.type_name() + "'");
        if (e.name == "+") return v.kind() == Value::Kind::kFloat ? v : Value(v.as_int());
        return v.kind() == Value::Kind::kFloat ? Value(-v.as_float()) : Value(-v.as_int());
      }
      case Expr::Kind::kBinary: {
        if (e.name == "and" || e.name == "or") {
          Value l = eval(*e.args[0], f);
          if ((e.name == "and") != l.truthy()) return l;
          return eval(*e.args[1], f);
        }
        return binary_op(e.name, eval(*e.args[0], f), eval(*e.args[1], f));
      }
      case Expr::Kind::kCompare: {
        Value l = eval(*e.args[0], f);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value r = eval(*e.args[i + 1], f);
          const std::string& op = e.ops[i];
          bool ok = op == "==" ? l.equals(r)
                    : op == "!=" ? !l.equals(r)
                    : op == "in" ? contains(r, l)
                    : op == "not in" ? !contains(r, l)
                    : op == "<" ? compare(l, r) < 0
                    : op == ">" ? compare(l, r) > 0
                    : op == "<=" ? compare(l, r) <= 0
                                 : compare(l, r) >= 0;
          if (!ok) return Value(false);
          l = std::move(r);
        }
        return Value(true);
      }
      case Expr::Kind::kCond: {
        if (eval(*e.args[0], f).truthy()) return eval(*e.args[1], f);
        return e.args[2] ? eval(*e.args[2], f) : Value();
      }
    }
    return Value();
  }

  void assign(const Stmt& s, const std::vector<std::string>& targets, const Value& v, Frame& f) {
    if (targets.size() == 1) {
      f.set(targets[0], v);
      return;
    }
    List items;
    try {
      items = iterate(v);
    } catch (const Fault& x) {
      fail_at(s.pos, std::string("cannot unpack: ") + x.what());
    }
    if (items.size() != targets.size()) {
      fail_at(s.pos, "cannot unpack " + std::to_string(items.size()) + " values into " +
                         std::to_string(targets.size()) + " names");
    }
    for (size_t i = 0; i < targets.size(); ++i) f.set(targets[i], items[i]);
  }

  Flow exec(const Body& body, Frame& f, std::string& out) {
    for (const auto& s : body) {
      Flow fl = exec_one(*s, f, out);
      if (fl != Flow::kNormal) return fl;
    }
    return Flow::kNormal;
  }

  Flow exec_for(const Stmt& s, Frame& f, std::string& out) {
    Value seq = eval(*s.expr, f);
    List items;
    try {
      items = iterate(seq);
    } catch (const Fault& x) {
      fail_at(s.expr->pos, x.what());
    }
    if (s.cond) {
      List kept;
      for (const auto& it : items) {
        Frame tf;
        tf.parent = &f;
        assign(s, s.targets, it, tf);
        if (eval(*s.cond, tf).truthy()) kept.push_back(it);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec(s.else_body, f, out);
      return Flow::kNormal;
    }
    int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      Frame lf;
      lf.parent = &f;
      if (s.uses_loop) lf.set("loop", loop_value(items, i));
      assign(s, s.targets, items[static_cast<size_t>(i)], lf);
      if (exec(s.body, lf, out) == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  static Value loop_value(const List& items, int64_t i) {
    int64_t n = static_cast<int64_t>(items.size());
    Dict d;
    d.items.reserve(12);
    d.items.emplace_back("index0", Value(i));
    d.items.emplace_back("index", Value(i + 1));
    d.items.emplace_back("revindex0", Value(n - i - 1));
    d.items.emplace_back("revindex", Value(n - i));
    d.items.emplace_back("first", Value(i == 0));
    d.items.emplace_back("last", Value(i == n - 1));
    d.items.emplace_back("length", Value(n));
    d.items.emplace_back("depth", Value(1));
    d.items.emplace_back("depth0", Value(0));
    d.items.emplace_back("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value());
    d.items.emplace_back("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value());
    d.items.emplace_back("cycle", Value::function("loop.cycle", [i](const Args& a) {
      if (a.pos.empty()) throw Fault("loop.cycle() needs at least one value");
      return a.pos[static_cast<size_t>(i) % a.pos.size()];
    }));
    return Value::make_namespace(std::move(d));
  }

  Value make_macro(const Stmt& s) {
    const Stmt* def = &s;
    return Value::function(s.text, [this, def](const Args& a) {
      Frame mf;
      mf.parent = top_;
      if (a.pos.size() > def->params.size()) throw Fault("macro '" + def->text + "' takes " +
                                                         std::to_string(def->params.size()) + " arguments");
      for (size_t i = 0; i < def->params.size(); ++i) {
        const auto& [pname, pdef] = def->params[i];
        const Value* v = i < a.pos.size() ? &a.pos[i] : a.kwarg(pname);
        mf.set(pname, v ? *v : pdef ? eval(*pdef, mf) : Value());
      }
      std::string body;
      exec(def->body, mf, body);
      return Value(body);
    });
  }

  Flow exec_one(const Stmt& s, Frame& f, std::string& out) {
    switch (s.kind) {
      case Stmt::Kind::kText: out += s.text; break;
      case Stmt::Kind::kOutput: out += eval(*s.expr, f).to_output(); break;
      case Stmt::Kind::kIf:
        for (const auto& [cond, body] : s.branches) {
          if (eval(*cond, f).truthy()) return exec(body, f, out);
        }
        return exec(s.else_body, f, out);
      case Stmt::Kind::kFor: return exec_for(s, f, out);
      case Stmt::Kind::kSet: {
        Value v = eval(*s.expr, f);
        if (s.attr.empty()) {
          assign(s, s.targets, v, f);
          break;
        }
        const Value* ns = f.lookup(s.targets[0]);
        if (!ns || !ns->is_namespace()) {
          fail_at(s.pos, "cannot assign attribute on a non-namespace object", s.targets[0] + "." + s.attr);
        }
        ns->namespace_dict().set(s.attr, std::move(v));
        break;
      }
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        exec(s.body, f, captured);
        f.set(s.targets[0], Value(captured));
        break;
      }
      case Stmt::Kind::kMacro: f.set(s.text, make_macro(s)); break;
      case Stmt::Kind::kFilterBlock: {
        std::string captured;
        exec(s.body, f, captured);
        Args a = eval_args(*s.expr, f, 1);
        try {
          out += apply_filter(s.expr->name, Value(captured), a).to_output();
        } catch (const Fault& x) {
          fail_at(s.pos, x.what());
        }
        break;
      }
      case Stmt::Kind::kBreak: return Flow::kBreak;
      case Stmt::Kind::kContinue: return Flow::kContinue;
      case Stmt::Kind::kGeneration: return exec(s.body, f, out);
    }
    return Flow::kNormal;
  }

  const Program& p_;
  const Frame* top_ = nullptr;
};

}  // namespace

std::string evaluate(const Program& program, const Dict& variables) { return Evaluator(program).run(variables); }

}  // namespace axolotl::data::jinja
