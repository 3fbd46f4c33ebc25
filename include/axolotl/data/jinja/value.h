// A Jinja value with Python's semantics as Jinja2 sees them: Undefined, None, bool, int, float, str,
// list, dict (insertion-ordered, string keys), namespace() objects and callables. Lists and dicts are
// shared and immutable once built (the sandbox forbids mutation); only namespaces change in place.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::data::jinja {

class Value;
using List = std::vector<Value>;

// Ordered string-keyed map: templates read messages and tool schemas, whose keys are strings.
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);
};

// Call arguments: positional, then keyword arguments in call order.
struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  const Value* kwarg(const std::string& name) const;
  // Positional i, else keyword `name`, else nullptr.
  const Value* get(size_t i, const std::string& name) const;
};

using Function = std::function<Value(const Args&)>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() = default;  // Undefined
  static Value none();
  Value(bool b);
  Value(int i);
  Value(int64_t i);
  Value(double d);
  Value(const char* s);
  Value(std::string s);
  Value(List l);
  Value(Dict d);
  static Value tuple(List l);  // a list that prints as a Python tuple
  static Value make_namespace(Dict d);
  static Value function(std::string name, Function f);
  static Value from_json(const nlohmann::json& j);
  static Value from_json(const nlohmann::ordered_json& j);  // keeps the key order

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt || kind_ == Kind::kBool; }  // Python: bool is int
  bool is_number() const { return is_int() || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_mapping() const { return is_dict() || is_namespace(); }
  bool is_callable() const { return kind_ == Kind::kCallable; }
  bool is_tuple() const { return tuple_; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
  double as_float() const { return kind_ == Kind::kFloat ? d_ : static_cast<double>(as_int()); }
  const std::string& str() const { return *s_; }
  const List& list() const { return *l_; }
  const Dict& dict() const { return *m_; }
  Dict& namespace_dict() const { return *m_; }  // namespaces are mutable by design
  const std::string& function_name() const { return *s_; }
  Value call(const Args& a) const { return (*f_)(a); }

  bool truthy() const;
  std::string type_name() const;  // Python type name for errors: "str", "int", "dict", ...
  // str(x) as Jinja prints it: '' for Undefined, None, True/False, Python float repr, list repr.
  std::string to_output() const;
  std::string repr() const;  // Python repr()
  // Python ==; ints, floats and bools compare by number.
  bool equals(const Value& o) const;
  nlohmann::json to_json() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool tuple_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<const List> l_;
  std::shared_ptr<Dict> m_;
  std::shared_ptr<const Function> f_;
};

// Python float repr (shortest round-trip, '1.0', '1e-05', 'inf', 'nan').
std::string python_float_repr(double d);

}  // namespace axolotl::data::jinja
