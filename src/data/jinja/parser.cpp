// Jinja parser, statements: if/elif/else, for (with inline if, else, tuple targets), set (plain,
// namespace attribute, block), macro, filter blocks, break/continue, generation; and parse().
#include "axolotl/data/jinja/parser.h"

namespace axolotl::data::jinja {

Body Parser::parse_body(const std::set<std::string>& stops) {
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

StmtP Parser::parse_statement() {
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

std::vector<std::string> Parser::parse_targets() {
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

Body parse(const std::vector<Token>& tokens, const std::string& source_name) {
  return Parser(tokens, source_name).parse_all();
}

}  // namespace axolotl::data::jinja
