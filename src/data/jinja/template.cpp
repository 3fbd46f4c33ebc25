// Template: lex + parse at construction, evaluate per render (evaluator.cpp).
#include "axolotl/data/jinja/template.h"

#include "axolotl/data/jinja/evaluator.h"

namespace axolotl::data::jinja {

Template::Template(const std::string& source, std::string name) {
  auto p = std::make_shared<Program>();
  p->source = source;
  p->name = std::move(name);
  p->body = parse(lex(source, p->name), p->name);
  program_ = std::move(p);
}

Template::~Template() = default;

std::string Template::render(const Dict& variables) const { return evaluate(*program_, variables); }
const std::string& Template::source() const { return program_->source; }
const std::string& Template::name() const { return program_->name; }

}  // namespace axolotl::data::jinja
