// Tree-walking evaluator of a parsed template with Jinja2's scoping: `set` writes the current
// frame; each for-loop iteration and macro call gets a fresh frame; namespace() carries state out.
#pragma once

#include <string>

#include "axolotl/data/jinja/ast.h"

namespace axolotl::data::jinja {

struct Program {
  std::string source;
  std::string name;
  Body body;
};

std::string evaluate(const Program& program, const Dict& variables);

}  // namespace axolotl::data::jinja
