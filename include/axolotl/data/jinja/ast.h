// The parsed form of a template: expression and statement trees built once by the parser and
// walked by the evaluator for every render. Positions point into the template source.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axolotl/data/jinja/lexer.h"
#include "axolotl/data/jinja/value.h"

namespace axolotl::data::jinja {

struct Expr;
using ExprP = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,   // value
    kName,      // name
    kList,      // args
    kTuple,     // args (a list value)
    kDict,      // kwargs: key expr in args[2i], value expr in args[2i+1]
    kGetAttr,   // args[0].name
    kGetItem,   // args[0][args[1]]
    kSlice,     // args[0][args[1]:args[2]:args[3]], null parts absent
    kCall,      // args[0](args[1..], kwargs)
    kFilter,    // args[0] | name(args[1..], kwargs)
    kTest,      // args[0] is [not] name(args[1..]); negated
    kUnary,     // name in {"-", "+", "not"}, args[0]
    kBinary,    // args[0] name args[1]; name in + - * / // % ** ~ and or
    kCompare,   // args[0] ops[0] args[1] ops[1] args[2] ... (Python chaining)
    kCond,      // args[1] if args[0] else args[2] (args[2] may be null: Undefined)
  };
  Kind kind;
  Pos pos;
  Value value;
  std::string name;
  std::vector<ExprP> args;
  std::vector<std::pair<std::string, ExprP>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using StmtP = std::unique_ptr<Stmt>;
using Body = std::vector<StmtP>;

struct Stmt {
  enum class Kind { kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro, kFilterBlock, kBreak, kContinue, kGeneration };
  Kind kind;
  Pos pos;
  std::string text;                  // kText
  ExprP expr;                        // kOutput, kFor iterable, kSet value, kFilterBlock filter (args[0] null)
  std::vector<std::string> targets;  // kFor / kSet names; kSet namespace target: targets = {ns}, attr set
  std::string attr;                  // kSet: `ns.attr`
  ExprP cond;                        // kFor inline `if`
  std::vector<std::pair<ExprP, Body>> branches;  // kIf: (condition, body) for if and each elif
  Body body;                         // kFor, kSetBlock, kMacro, kFilterBlock, kGeneration body
  Body else_body;                    // kIf else, kFor else
  std::vector<std::pair<std::string, ExprP>> params;  // kMacro: name and default (may be null)
  bool uses_loop = false;            // kFor: the body reads `loop`
};

// Throws Error naming line, column and the construct on anything outside the supported subset.
Body parse(const std::vector<Token>& tokens, const std::string& source_name);

}  // namespace axolotl::data::jinja
