// Internal to config/: one declaration per config field (nested path, Axolotl flat keys, type, help,
// limits) with the setter and getter generated from a member reference. fields() and
// dataset_fields() in registry.cpp / dataset_fields.cpp are the only tables; everything else
// (parsing both dialects, overrides, dump, docs, the editor schema) is driven by them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "axolotl/config/config.h"
#include "state.h"
#include "value_schema.h"

namespace axolotl::config::detail {

using Json = nlohmann::ordered_json;

// Numeric bounds; open bounds exclude the end point.
struct Limits {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;
  bool active() const { return std::isfinite(min) || std::isfinite(max); }
  bool contains(double v) const {
    return (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  }
  std::string str() const;
};
inline Limits at_least(double v) { return {v, Limits().max, false, false}; }
inline Limits above(double v) { return {v, Limits().max, true, false}; }
inline Limits between(double lo, double hi, bool hi_open = false) { return {lo, hi, false, hi_open}; }

template <class Root>
struct FieldT {
  std::string nested;                 // canonical nested path ("training.learning_rate"); "" = flat only
  std::vector<std::string> flat;      // Axolotl spellings; the first is canonical; may be empty
  std::string type;                   // for docs and messages: "int", "float", "bool", "a | b", ...
  std::string help;                   // one line
  Json schema;                        // JSON Schema of a non-null value (value_schema.h); {} = anything
  Json flat_schema;                   // the flat dialect's, where it differs (null = the same)
  std::string deprecated_for;         // a deprecated spelling: the key to write instead
  // Reads a non-null node into the root; reports problems itself. `key` is the spelling used.
  std::function<void(Root&, const YAML::Node&, State&, const std::string& key)> set;
  std::function<Json(const Root&)> get;  // empty for flat-only aliases (not dumped)
  std::function<void(Root&)> reset;      // back to the built-in default
};
using Field = FieldT<Config>;
using DatasetField = FieldT<DatasetConfig>;

const std::vector<Field>& fields();
const std::vector<DatasetField>& dataset_fields();

// Scalar conversions; false when the node is not of that type.
bool read_bool(const YAML::Node& n, bool& out);
bool read_int(const YAML::Node& n, long long& out);
bool read_double(const YAML::Node& n, double& out);
bool read_string(const YAML::Node& n, std::string& out);  // any scalar
bool read_string_list(const YAML::Node& n, std::vector<std::string>& out);  // list, or one scalar
bool read_string_map(const YAML::Node& n, std::map<std::string, std::string>& out);

// Name table of an enum: YAML spelling -> value; the first spelling of a value is canonical.
template <class E>
using Names = std::vector<std::pair<std::string, E>>;

template <class E>
std::string names_str(const Names<E>& names) {
  std::string s;
  for (const auto& [n, v] : names) {
    if (!n.empty()) s += (s.empty() ? "" : " | ") + n;
  }
  return s;
}

template <class E>
std::string name_of(const Names<E>& names, E v) {
  for (const auto& [n, e] : names) {
    if (e == v) return n;
  }
  return "?";
}

template <class T>
struct TypeName;
template <> struct TypeName<bool> { static constexpr const char* v = "bool"; };
template <> struct TypeName<int> { static constexpr const char* v = "int"; };
template <> struct TypeName<int64_t> { static constexpr const char* v = "int"; };
template <> struct TypeName<uint64_t> { static constexpr const char* v = "int"; };
template <> struct TypeName<double> { static constexpr const char* v = "float"; };
template <> struct TypeName<std::string> { static constexpr const char* v = "string"; };
template <> struct TypeName<std::vector<std::string>> { static constexpr const char* v = "list of strings"; };
template <> struct TypeName<std::map<std::string, std::string>> { static constexpr const char* v = "map"; };
template <class T> struct TypeName<std::optional<T>> { static constexpr const char* v = TypeName<T>::v; };

template <class T> struct IsOptional : std::false_type {};
template <class T> struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
Json schema_of(const Limits& lim) {
  if constexpr (IsOptional<T>::value) {
    return schema_of<typename T::value_type>(lim);
  } else {
    return value_schema<T>(lim);
  }
}

// Reads one value of type T (bool, integers, double, string, list, map, optional of those).
template <class T>
bool read_value(const YAML::Node& n, T& out, State& st, const std::string& key, const Limits& lim) {
  auto bad = [&](const std::string& expected) {
    st.error(st.at(n), key, "wrong type", describe(n), expected);
    return false;
  };
  if constexpr (IsOptional<T>::value) {
    typename T::value_type v{};
    if (!read_value(n, v, st, key, lim)) return false;
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    return read_bool(n, out) || bad("true or false");
  } else if constexpr (std::is_integral_v<T>) {
    long long v = 0;
    if (!read_int(n, v)) return bad("an integer");
    if (v < static_cast<long long>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<unsigned long long>(v) > std::numeric_limits<T>::max()) ||
        (lim.active() && !lim.contains(static_cast<double>(v)))) {
      st.error(st.at(n), key, "out of range", describe(n), lim.active() ? lim.str() : "a smaller integer");
      return false;
    }
    out = static_cast<T>(v);
    return true;
  } else if constexpr (std::is_same_v<T, double>) {
    double v = 0;
    if (!read_double(n, v)) return bad("a number");
    if (!std::isfinite(v) || (lim.active() && !lim.contains(v))) {
      st.error(st.at(n), key, "out of range", describe(n), lim.active() ? lim.str() : "a finite number");
      return false;
    }
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return read_string(n, out) || bad("a string");
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return read_string_list(n, out) || bad("a list of strings");
  } else {
    static_assert(std::is_same_v<T, std::map<std::string, std::string>>);
    return read_string_map(n, out) || bad("a map of strings");
  }
}

template <class T>
Json to_json_value(const T& v) {
  if constexpr (IsOptional<T>::value) {
    return v ? Json(*v) : Json(nullptr);
  } else {
    return Json(v);
  }
}

// A plain field bound to a member: `ref` is a lambda (Root&) -> T&.
template <class Root, class Ref>
FieldT<Root> plain(std::string nested, std::vector<std::string> flat, Ref ref, std::string help, Limits lim = {}) {
  using T = std::decay_t<decltype(ref(std::declval<Root&>()))>;
  FieldT<Root> f;
  f.nested = std::move(nested);
  f.flat = std::move(flat);
  f.type = TypeName<T>::v;
  if (lim.active()) f.type += " " + lim.str();
  f.help = std::move(help);
  f.schema = schema_of<T>(lim);
  f.set = [ref, lim](Root& r, const YAML::Node& n, State& st, const std::string& key) {
    T v{};
    if (read_value(n, v, st, key, lim)) ref(r) = std::move(v);
  };
  f.get = [ref](const Root& r) { return to_json_value(ref(r)); };
  f.reset = [ref](Root& r) { ref(r) = ref(*std::make_unique<Root>()); };
  return f;
}

// An enum field spelled by `names`.
template <class Root, class Ref, class E>
FieldT<Root> choice(std::string nested, std::vector<std::string> flat, Ref ref, Names<E> names, std::string help) {
  FieldT<Root> f;
  f.nested = std::move(nested);
  f.flat = std::move(flat);
  f.type = names_str(names);
  f.help = std::move(help);
  std::vector<std::string> spellings;
  for (const auto& p : names) spellings.push_back(p.first);
  f.schema = enum_schema(spellings);  // the spellings of every value, aliases included
  f.set = [ref, names](Root& r, const YAML::Node& n, State& st, const std::string& key) {
    std::string s;
    if (read_string(n, s)) {
      for (const auto& [name, v] : names) {
        if (name == s) {
          ref(r) = v;
          return;
        }
      }
    }
    std::vector<std::string> all;
    for (const auto& p : names) all.push_back(p.first);
    std::string guess = n.IsScalar() ? did_you_mean(s, all) : "";
    st.error(st.at(n), key, "unknown value", describe(n), "one of " + names_str(names),
             guess.empty() ? "" : "did you mean '" + guess + "'?");
  };
  f.get = [ref, names](const Root& r) { return Json(name_of(names, ref(r))); };
  f.reset = [ref](Root& r) { ref(r) = ref(*std::make_unique<Root>()); };
  return f;
}

}  // namespace axolotl::config::detail

#define AXOLOTL_REF(member) [](auto& r) -> auto& { return r.member; }
