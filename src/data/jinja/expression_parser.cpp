// Jinja parser, expressions, with jinja2/parser.py's precedence (cond-expr < or < and < not < compare
// < +,- < ~ < *,/,//,% < ** < unary < postfix/filter/test). Unknown filters and tests fail here.
#include "axolotl/data/jinja/filters.h"
#include "axolotl/data/jinja/parser.h"

namespace axolotl::data::jinja {

ExprP Parser::node(Expr::Kind k, Pos p) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->pos = p;
  return e;
}

ExprP Parser::parse_tuple_expr() {
  Pos p = cur().pos;
  ExprP first = parse_expr();
  if (!is_op(",")) return first;
  auto t = node(Expr::Kind::kTuple, p);
  t->args.push_back(std::move(first));
  while (is_op(",")) {
    next();
    t->args.push_back(parse_expr());
  }
  return t;
}

ExprP Parser::parse_expr(bool with_cond) {
  ExprP e = parse_or();
  while (with_cond && is_name("if")) {
    auto c = node(Expr::Kind::kCond, cur().pos);
    next();
    ExprP test = parse_or();
    ExprP alt;
    if (is_name("else")) {
      next();
      alt = parse_expr();
    }
    c->args.push_back(std::move(test));
    c->args.push_back(std::move(e));
    c->args.push_back(std::move(alt));
    e = std::move(c);
  }
  return e;
}

ExprP Parser::binary(const char* op, ExprP l, ExprP r, Pos p) {
  auto b = node(Expr::Kind::kBinary, p);
  b->name = op;
  b->args.push_back(std::move(l));
  b->args.push_back(std::move(r));
  return b;
}

ExprP Parser::parse_or() {
  ExprP l = parse_and();
  while (is_name("or")) {
    Pos p = cur().pos;
    next();
    l = binary("or", std::move(l), parse_and(), p);
  }
  return l;
}

ExprP Parser::parse_and() {
  ExprP l = parse_not();
  while (is_name("and")) {
    Pos p = cur().pos;
    next();
    l = binary("and", std::move(l), parse_not(), p);
  }
  return l;
}

ExprP Parser::parse_not() {
  if (is_name("not")) {
    auto u = node(Expr::Kind::kUnary, cur().pos);
    u->name = "not";
    next();
    u->args.push_back(parse_not());
    return u;
  }
  return parse_compare();
}

ExprP Parser::parse_compare() {
  Pos p = cur().pos;
  ExprP l = parse_math1();
  ExprP c;
  while (true) {
    std::string op;
    if (cur().type == T::kOp && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                 cur().text == ">" || cur().text == "<=" || cur().text == ">=")) {
      op = cur().text;
      next();
    } else if (is_name("in")) {
      op = "in";
      next();
    } else if (is_name("not") && peek().type == T::kName && peek().text == "in") {
      op = "not in";
      next();
      next();
    } else {
      break;
    }
    if (!c) {
      c = node(Expr::Kind::kCompare, p);
      c->args.push_back(std::move(l));
    }
    c->ops.push_back(op);
    c->args.push_back(parse_math1());
  }
  return c ? std::move(c) : std::move(l);
}

ExprP Parser::parse_math1() {
  ExprP l = parse_concat();
  while (is_op("+") || is_op("-")) {
    Pos p = cur().pos;
    std::string op = cur().text;
    next();
    l = binary(op == "+" ? "+" : "-", std::move(l), parse_concat(), p);
  }
  return l;
}

ExprP Parser::parse_concat() {
  ExprP l = parse_math2();
  while (is_op("~")) {
    Pos p = cur().pos;
    next();
    l = binary("~", std::move(l), parse_math2(), p);
  }
  return l;
}

ExprP Parser::parse_math2() {
  ExprP l = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    Pos p = cur().pos;
    std::string op = cur().text;
    next();
    auto b = binary("", std::move(l), parse_pow(), p);
    b->name = op;
    l = std::move(b);
  }
  return l;
}

ExprP Parser::parse_pow() {
  ExprP l = parse_unary(true);
  while (is_op("**")) {
    Pos p = cur().pos;
    next();
    l = binary("**", std::move(l), parse_unary(true), p);
  }
  return l;
}

ExprP Parser::parse_unary(bool with_filter) {
  ExprP e;
  if (is_op("-") || is_op("+")) {
    auto u = node(Expr::Kind::kUnary, cur().pos);
    u->name = cur().text;
    next();
    u->args.push_back(parse_unary(false));
    e = std::move(u);
  } else {
    e = parse_primary();
  }
  e = parse_postfix(std::move(e));
  if (!with_filter) return e;
  while (true) {
    if (is_op("|")) {
      e = parse_filter(std::move(e));
    } else if (is_name("is")) {
      e = parse_test(std::move(e));
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

ExprP Parser::parse_primary() {
  const Token& t = cur();
  Pos p = t.pos;
  if (t.type == T::kName) {
    const std::string& n = t.text;
    auto lit = node(Expr::Kind::kLiteral, p);
    if (n == "true" || n == "True") lit->value = Value(true);
    else if (n == "false" || n == "False") lit->value = Value(false);
    else if (n == "none" || n == "None") lit->value = Value::none();
    else {
      auto e = node(Expr::Kind::kName, p);
      e->name = n;
      if (n == "loop" && loop_depth_ > 0) ++loop_refs_;
      next();
      return e;
    }
    next();
    return lit;
  }
  if (t.type == T::kString) {
    std::string s;
    while (cur().type == T::kString) {  // adjacent literals concatenate
      s += cur().text;
      next();
    }
    auto lit = node(Expr::Kind::kLiteral, p);
    lit->value = Value(std::move(s));
    return lit;
  }
  if (t.type == T::kInt || t.type == T::kFloat) {
    auto lit = node(Expr::Kind::kLiteral, p);
    try {
      lit->value = t.type == T::kInt ? Value(static_cast<int64_t>(std::stoll(t.text))) : Value(std::stod(t.text));
    } catch (const std::exception&) {
      fail("number out of range", t.text);
    }
    next();
    return lit;
  }
  if (is_op("(")) {
    next();
    if (is_op(")")) {
      next();
      return node(Expr::Kind::kTuple, p);
    }
    ExprP e = parse_expr();
    if (is_op(",")) {
      auto tup = node(Expr::Kind::kTuple, p);
      tup->args.push_back(std::move(e));
      while (is_op(",")) {
        next();
        if (is_op(")")) break;
        tup->args.push_back(parse_expr());
      }
      e = std::move(tup);
    }
    expect_op(")");
    return e;
  }
  if (is_op("[")) {
    next();
    auto l = node(Expr::Kind::kList, p);
    while (!is_op("]")) {
      l->args.push_back(parse_expr());
      if (!is_op(",")) break;
      next();
    }
    expect_op("]");
    return l;
  }
  if (is_op("{")) {
    next();
    auto d = node(Expr::Kind::kDict, p);
    while (!is_op("}")) {
      d->args.push_back(parse_expr());
      expect_op(":");
      d->args.push_back(parse_expr());
      if (!is_op(",")) break;
      next();
    }
    expect_op("}");
    return d;
  }
  fail("unexpected token in an expression", describe(t));
}

ExprP Parser::parse_postfix(ExprP e) {
  while (true) {
    Pos p = cur().pos;
    if (is_op(".")) {
      next();
      auto g = node(Expr::Kind::kGetAttr, p);
      if (cur().type == T::kInt) {  // `x.0` is x[0]
        g->kind = Expr::Kind::kGetItem;
        auto idx = node(Expr::Kind::kLiteral, cur().pos);
        idx->value = Value(static_cast<int64_t>(std::stoll(cur().text)));
        next();
        g->args.push_back(std::move(e));
        g->args.push_back(std::move(idx));
      } else {
        g->name = expect_name();
        g->args.push_back(std::move(e));
      }
      e = std::move(g);
    } else if (is_op("[")) {
      next();
      e = parse_subscript(std::move(e), p);
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

ExprP Parser::parse_subscript(ExprP obj, Pos p) {
  ExprP parts[3];
  int n = 0;
  bool slice = false;
  while (true) {
    if (is_op(":")) {
      slice = true;
      if (++n > 2) fail("syntax error in a slice", "':'");
      next();
      continue;
    }
    if (is_op("]")) break;
    if (parts[n]) fail("syntax error in a subscript", describe(cur()), "']'");
    parts[n] = parse_expr();
  }
  next();
  auto g = node(slice ? Expr::Kind::kSlice : Expr::Kind::kGetItem, p);
  g->args.push_back(std::move(obj));
  if (slice) {
    for (auto& x : parts) g->args.push_back(std::move(x));
  } else {
    if (!parts[0]) fail("empty subscript", "[]");
    g->args.push_back(std::move(parts[0]));
  }
  return g;
}

void Parser::parse_call_args(Expr& e) {
  expect_op("(");
  while (!is_op(")")) {
    if (is_op("*") || is_op("**")) fail("unsupported construct: *args / **kwargs in a call", cur().text);
    if (cur().type == T::kName && peek().type == T::kOp && peek().text == "=") {
      std::string k = cur().text;
      next();
      next();
      e.kwargs.emplace_back(k, parse_expr());
    } else {
      if (!e.kwargs.empty()) fail("positional argument after a keyword argument", describe(cur()));
      e.args.push_back(parse_expr());
    }
    if (!is_op(",")) break;
    next();
  }
  expect_op(")");
}

ExprP Parser::parse_call(ExprP callee) {
  auto c = node(Expr::Kind::kCall, cur().pos);
  c->args.push_back(std::move(callee));
  parse_call_args(*c);
  return c;
}

ExprP Parser::parse_filter(ExprP subject) {
  if (subject) expect_op("|");
  Pos p = cur().pos;
  std::string n = expect_name();
  if (!is_filter(n)) template_error(name_, p, "unsupported filter '" + n + "'", n, "a filter of the supported subset");
  auto f = node(Expr::Kind::kFilter, p);
  f->name = n;
  f->args.push_back(std::move(subject));
  if (is_op("(")) parse_call_args(*f);
  return f;
}

ExprP Parser::parse_test(ExprP subject) {
  next();  // 'is'
  auto t = node(Expr::Kind::kTest, cur().pos);
  if (is_name("not")) {
    t->negated = true;
    next();
  }
  Pos p = cur().pos;
  std::string n = expect_name();
  if (!is_test(n)) template_error(name_, p, "unsupported test '" + n + "'", n, "a test of the supported subset");
  t->name = n;
  t->args.push_back(std::move(subject));
  if (is_op("(")) {
    parse_call_args(*t);
  } else if ((cur().type == T::kName && !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if")) ||
             cur().type == T::kString || cur().type == T::kInt || cur().type == T::kFloat || is_op("[") ||
             is_op("{")) {
    t->args.push_back(parse_postfix(parse_primary()));
  }
  return t;
}

}  // namespace axolotl::data::jinja
