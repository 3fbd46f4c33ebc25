// The Jinja parser (parser.cpp: statements; expression_parser.cpp: expressions, with jinja2/parser.py's
// precedence: cond-expr < or < and < not < compare < +,- < ~ < *,/,//,% < ** < unary < postfix/filter/test).
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "axolotl/data/jinja/ast.h"

namespace axolotl::data::jinja {

// Parses one token stream (from lex()); throws Error at the first construct outside the subset.
class Parser {
 public:
  Parser(const std::vector<Token>& toks, const std::string& name) : t_(toks), name_(name) {}

  Body parse_all() {
    Body b = parse_body({});
    if (cur().type != T::kEof) fail("unexpected tag", cur().text);
    return b;
  }

 private:
  using T = Token::Type;

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
  Body parse_body(const std::set<std::string>& stops);
  StmtP parse_statement();
  std::vector<std::string> parse_targets();
  ExprP node(Expr::Kind k, Pos p);
  ExprP parse_tuple_expr();
  ExprP parse_expr(bool with_cond = true);
  ExprP binary(const char* op, ExprP l, ExprP r, Pos p);
  ExprP parse_or();
  ExprP parse_and();
  ExprP parse_not();
  ExprP parse_compare();
  ExprP parse_math1();
  ExprP parse_concat();
  ExprP parse_math2();
  ExprP parse_pow();
  ExprP parse_unary(bool with_filter);
  ExprP parse_primary();
  ExprP parse_postfix(ExprP e);
  ExprP parse_subscript(ExprP obj, Pos p);
  void parse_call_args(Expr& e);
  ExprP parse_call(ExprP callee);
  ExprP parse_filter(ExprP subject);
  ExprP parse_test(ExprP subject);

  const std::vector<Token>& t_;
  std::string name_;
  size_t i_ = 0;
  int loop_depth_ = 0;
  size_t loop_refs_ = 0;
};

}  // namespace axolotl::data::jinja
