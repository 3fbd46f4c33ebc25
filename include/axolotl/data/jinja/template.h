// A parsed Jinja template: parse once (errors name line, column and construct), render many times
// with a set of variables. Globals as transformers defines them: namespace, range, dict,
// raise_exception, strftime_now. Thread-safe to render concurrently.
#pragma once

#include <memory>
#include <string>

#include "axolotl/data/jinja/value.h"

namespace axolotl::data::jinja {

struct Program;

class Template {
 public:
  // `name` appears in errors as the file part of the location (e.g. "tokenizer_config.json:chat_template").
  explicit Template(const std::string& source, std::string name = "<template>");
  ~Template();
  Template(const Template&) = default;
  Template& operator=(const Template&) = default;

  // Throws Error (with the template position) on a runtime failure or raise_exception().
  std::string render(const Dict& variables) const;
  const std::string& source() const;
  const std::string& name() const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace axolotl::data::jinja
