// Operations on Jinja values with Python semantics: attribute and item access (incl. str and dict
// methods), iteration, slicing, arithmetic and comparison. Failures throw Fault, which the
// evaluator turns into an Error at the template position.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "axolotl/data/jinja/value.h"

namespace axolotl::data::jinja {

class Fault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Value get_attr(const Value& obj, const std::string& name);  // `obj.name`
Value get_item(const Value& obj, const Value& key);         // `obj[key]`
Value slice(const Value& obj, const std::optional<int64_t>& start, const std::optional<int64_t>& stop,
            const std::optional<int64_t>& step);
List iterate(const Value& v);  // list items, dict keys, string code points; Undefined: empty
bool contains(const Value& container, const Value& item);  // Python `in`
Value binary_op(const std::string& op, const Value& a, const Value& b);  // + - * / // % ** ~
int compare(const Value& a, const Value& b);  // <0, 0, >0 for numbers, strings and lists; else Fault
int64_t length(const Value& v);                // len(); Undefined is 0

}  // namespace axolotl::data::jinja
