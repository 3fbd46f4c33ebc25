// Jinja parser: statements and expressions with jinja2/parser.py's precedence
// (cond-expr < or < and < not < compare < +,- < ~ < *,/,//,% < ** < unary < postfix/filter/test).
#include <set>

#include "axolotl/data/jinja/ast.h"
#include "axolotl/data/jinja/filters.h"

namespace axolotl::data::jinja {

namespace {

using T = Token::Type;

class Parser {
 public:
  Parser(const std::vector<Token>& toks, const std::string& name) : t_(toks), name_(name) {}

  Body parse_all() {
    Body b = parse_body({});
    if (cur().type != T::kEof) fail("unexpected tag", cur().text);
    return b;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  void next() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  [[noreturn]] void fail(const std::string& msg, const std::string& found = "", const std::string& expected = "") const {
    template_error(name_, cur().pos, msg, found, expected);
  }
  bool is_op(const char* op) const { return cur().type == T::kOp && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == T::kName && cur().text == n; }
  void expect_op(const char* op) {
    if (!is_op(op)) fail("syntax error", describe(cur()), std::string("'") + op + "'");
    next();
  }
  std::string expect_name() {
    if (cur().type != T::kName) fail("syntax error", describe(cur()), "a name");
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_block_end() {
    if (cur().type != T::kBlockEnd) fail("syntax error", describe(cur()), "'%}'");
    next();
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case T::kEof: return "end of template";
      case T::kBlockEnd: return "'%}'";
      case T::kVarEnd: return "'}}'";
      case T::kString: return "string '" + t.text + "'";
      default: return "'" + t.text + "'";
    }
  }

  // Parses until a block tag whose keyword is in `stops` (left as the current token after `{%`).
  Body parse_body(const std::set<std::string>& stops) {
    Body body;
    while (cur().type != T::kEof) {
      if (cur().type == T::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->pos = cur().pos;
        s->text = cur().text;
        body.push_back(std::move(s));
        next();
      } else if (cur().type == T::kVarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->pos = cur().pos;
        next();
        s->expr = parse_tuple_expr();
        if (cur().type != T::kVarEnd) fail("syntax error", describe(cur()), "'}}'");
        next();
        body.push_back(std::move(s));
      } else if (cur().type == T::kBlockBegin) {
        const Token& kw = peek();
        if (kw.type == T::kName && stops.count(kw.text)) {
          next();
          return body;
        }
        next();
        body.push_back(parse_statement());
      } else {
        fail("unexpected token", describe(cur()));
      }
    }
    if (!stops.empty()) fail("unexpected end of template", "", "{% " + *stops.rbegin() + " %}");
    return body;
  }

  StmtP parse_statement() {
    auto s = std::make_unique<Stmt>();
    s->pos = cur().pos;
    if (cur().type != T::kName) fail("expected a statement keyword", describe(cur()));
    std::string kw = cur().text;
    next();
    if (kw == "if") {
      s->kind = Stmt::Kind::kIf;
      ExprP c = parse_expr();
      expect_block_end();
      while (true) {
        Body b = parse_body({"elif", "else", "endif"});
        s->branches.emplace_back(std::move(c), std::move(b));
        std::string k = expect_name();
        if (k == "elif") {
          c = parse_expr();
          expect_block_end();
          continue;
        }
        if (k == "else") {
          expect_block_end();
          s->else_body = parse_body({"endif"});
          expect_name();
        }
        expect_block_end();
        break;
      }
    } else if (kw == "for") {
      s->kind = Stmt::Kind::kFor;
      s->targets = parse_targets();
      if (!is_name("in")) fail("syntax error in for", describe(cur()), "'in'");
      next();
      s->expr = parse_expr(false);
      if (is_name("if")) {
        next();
        s->cond = parse_expr();
      }
      if (is_name("recursive")) fail("unsupported construct: recursive for loop", "recursive");
      expect_block_end();
      size_t before = loop_refs_;
      ++loop_depth_;
      s->body = parse_body({"else", "endfor"});
      --loop_depth_;
      s->uses_loop = loop_refs_ != before;
      if (expect_name() == "else") {
        expect_block_end();
        s->else_body = parse_body({"endfor"});
        expect_name();
      }
      expect_block_end();
    } else if (kw == "set") {
      std::string n = expect_name();
      if (is_op(".")) {
        next();
        s->attr = expect_name();
        s->targets = {n};
        s->kind = Stmt::Kind::kSet;
        expect_op("=");
        s->expr = parse_tuple_expr();
        expect_block_end();
      } else {
        s->targets = {n};
        while (is_op(",")) {
          next();
          s->targets.push_back(expect_name());
        }
        if (cur().type == T::kBlockEnd) {
          if (s->targets.size() != 1) fail("block set takes one name");
          s->kind = Stmt::Kind::kSetBlock;
          next();
          s->body = parse_body({"endset"});
          next();
          expect_block_end();
        } else {
          s->kind = Stmt::Kind::kSet;
          expect_op("=");
          s->expr = parse_tuple_expr();
          expect_block_end();
        }
      }
    } else if (kw == "macro") {
      s->kind = Stmt::Kind::kMacro;
      s->text = expect_name();
      expect_op("(");
      while (!is_op(")")) {
        std::string p = expect_name();
        ExprP def;
        if (is_op("=")) {
          next();
          def = parse_expr();
        }
        s->params.emplace_back(p, std::move(def));
        if (!is_op(",")) break;
        next();
      }
      expect_op(")");
      expect_block_end();
      s->body = parse_body({"endmacro"});
      next();
      expect_block_end();
    } else if (kw == "filter") {
      s->kind = Stmt::Kind::kFilterBlock;
      s->expr = parse_filter(nullptr);
      expect_block_end();
      s->body = parse_body({"endfilter"});
      next();
      expect_block_end();
    } else if (kw == "break" || kw == "continue") {
      if (loop_depth_ == 0) template_error(name_, s->pos, "'" + kw + "' outside a for loop", kw);
      s->kind = kw == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      expect_block_end();
    } else if (kw == "generation") {
      s->kind = Stmt::Kind::kGeneration;
      expect_block_end();
      s->body = parse_body({"endgeneration"});
      next();
      expect_block_end();
    } else {
      template_error(name_, s->pos, "unsupported construct: {% " + kw + " %}", kw,
                     "if, for, set, macro, filter, break, continue, generation, raw");
    }
    return s;
  }

  std::vector<std::string> parse_targets() {
    bool paren = is_op("(");
    if (paren) next();
    std::vector<std::string> names{expect_name()};
    while (is_op(",")) {
      next();
      names.push_back(expect_name());
    }
    if (paren) expect_op(")");
    return names;
  }

  ExprP node(Expr::Kind k, Pos p) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->pos = p;
    return e;
  }

  // `a, b` at the top of an output or set: a tuple; a single expression otherwise.
  ExprP parse_tuple_expr() {
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

  ExprP parse_expr(bool with_cond = true) {
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

  ExprP binary(const char* op, ExprP l, ExprP r, Pos p) {
    auto b = node(Expr::Kind::kBinary, p);
    b->name = op;
    b->args.push_back(std::move(l));
    b->args.push_back(std::move(r));
    return b;
  }

  ExprP parse_or() {
    ExprP l = parse_and();
    while (is_name("or")) {
      Pos p = cur().pos;
      next();
      l = binary("or", std::move(l), parse_and(), p);
    }
    return l;
  }
  ExprP parse_and() {
    ExprP l = parse_not();
    while (is_name("and")) {
      Pos p = cur().pos;
      next();
      l = binary("and", std::move(l), parse_not(), p);
    }
    return l;
  }
  ExprP parse_not() {
    if (is_name("not")) {
      auto u = node(Expr::Kind::kUnary, cur().pos);
      u->name = "not";
      next();
      u->args.push_back(parse_not());
      return u;
    }
    return parse_compare();
  }
  ExprP parse_compare() {
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
  ExprP parse_math1() {
    ExprP l = parse_concat();
    while (is_op("+") || is_op("-")) {
      Pos p = cur().pos;
      std::string op = cur().text;
      next();
      l = binary(op == "+" ? "+" : "-", std::move(l), parse_concat(), p);
    }
    return l;
  }
  ExprP parse_concat() {
    ExprP l = parse_math2();
    while (is_op("~")) {
      Pos p = cur().pos;
      next();
      l = binary("~", std::move(l), parse_math2(), p);
    }
    return l;
  }
  ExprP parse_math2() {
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
  ExprP parse_pow() {
    ExprP l = parse_unary(true);
    while (is_op("**")) {
      Pos p = cur().pos;
      next();
      l = binary("**", std::move(l), parse_unary(true), p);
    }
    return l;
  }
  ExprP parse_unary(bool with_filter) {
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

  ExprP parse_primary() {
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

  ExprP parse_postfix(ExprP e) {
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

  ExprP parse_subscript(ExprP obj, Pos p) {
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

  void parse_call_args(Expr& e) {
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

  ExprP parse_call(ExprP callee) {
    auto c = node(Expr::Kind::kCall, cur().pos);
    c->args.push_back(std::move(callee));
    parse_call_args(*c);
    return c;
  }

  ExprP parse_filter(ExprP subject) {
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

  ExprP parse_test(ExprP subject) {
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

  const std::vector<Token>& t_;
  std::string name_;
  size_t i_ = 0;
  int loop_depth_ = 0;
  size_t loop_refs_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const std::string& source_name) {
  return Parser(tokens, source_name).parse_all();
}

}  // namespace axolotl::data::jinja
