// Jinja lexer with transformers' settings: trim_blocks, lstrip_blocks, keep_trailing_newline=False,
// `-`/`+` whitespace control, comments and raw blocks. Emits text runs and tag-internal tokens.
#pragma once

#include <string>
#include <vector>

namespace axolotl::data::jinja {

struct Pos {
  int line = 0;
  int column = 0;
};

struct Token {
  enum class Type { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };
  Type type;
  std::string text;  // text run, name, decoded string literal, number spelling or operator
  Pos pos;
};

// Throws Error naming `source_name`, line and column on an unterminated tag, string or bad character.
std::vector<Token> lex(const std::string& source, const std::string& source_name);

// Error at a template position (the one error shape of the engine).
[[noreturn]] void template_error(const std::string& source_name, Pos pos, const std::string& message,
                                 const std::string& found = "", const std::string& expected = "");

}  // namespace axolotl::data::jinja
