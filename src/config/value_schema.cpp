// JSON Schema fragments for config values (see value_schema.h). The readers they mirror are in
// state.cpp (read_bool, read_int, read_double, read_string, read_string_list, read_string_map).
#include "value_schema.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "field.h"

namespace axolotl::config::detail {
namespace {

// A number as text: YAML 1.1 reads 2e-5 as a string, YAML 1.2 reads 500_000 as one; both are numbers
// to read_int / read_double (digit groups joined by '_' as PyYAML does).
constexpr const char* kNumberText = "^[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?$";

Json number_text() { return Json{{"type", "string"}, {"pattern", kNumberText}}; }

void add_limits(Json& s, const Limits& lim) {
  if (std::isfinite(lim.min)) s[lim.min_open ? "exclusiveMinimum" : "minimum"] = lim.min;
  if (std::isfinite(lim.max)) s[lim.max_open ? "exclusiveMaximum" : "maximum"] = lim.max;
}

Json numeric(const char* type, const Limits& lim) {
  Json n = Json{{"type", type}};
  add_limits(n, lim);
  return Json{{"anyOf", Json::array({n, number_text()})}};
}

// What YAML 1.1 resolves a plain scalar to when it is a boolean (PyYAML's bool resolver).
std::optional<bool> yaml11_bool(const std::string& s) {
  static const char* kTrue[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char* kFalse[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (std::find(std::begin(kTrue), std::end(kTrue), s) != std::end(kTrue)) return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), s) != std::end(kFalse)) return false;
  return std::nullopt;
}

}  // namespace

Json bool_schema() {
  // read_bool's spellings beyond true/false, which YAML 1.2 (editors) reads as strings
  return Json{{"anyOf", Json::array({Json{{"type", "boolean"}},
                                     Json{{"enum", Json::array({"yes", "Yes", "on", "no", "No", "off"})}}})}};
}

Json int_schema(const Limits& lim) { return numeric("integer", lim); }

Json number_schema(const Limits& lim) { return numeric("number", lim); }

Json scalar_schema() { return Json{{"type", Json::array({"string", "number", "boolean"})}}; }

Json string_list_schema() {
  return Json{{"anyOf", Json::array({Json{{"type", "array"}, {"items", scalar_schema()}}, scalar_schema()})}};
}

Json string_map_schema() {
  return Json{{"type", "object"},
              {"additionalProperties", Json{{"type", Json::array({"string", "number", "boolean", "null"})}}}};
}

Json enum_schema(const std::vector<std::string>& names) {
  Json values = Json::array();
  for (const auto& n : names) {
    if (std::find(values.begin(), values.end(), Json(n)) == values.end()) values.push_back(n);
  }
  for (const auto& n : names) {
    if (auto b = yaml11_bool(n); b && std::find(values.begin(), values.end(), Json(*b)) == values.end()) {
      values.push_back(*b);
    }
  }
  return Json{{"enum", values}};
}

Json nullable(Json s) {
  if (s.is_object() && s.empty()) return s;  // anything
  if (s.contains("enum") && !s.contains("type")) {
    if (std::find(s["enum"].begin(), s["enum"].end(), Json(nullptr)) == s["enum"].end()) s["enum"].push_back(nullptr);
    return s;
  }
  if (s.contains("type") && !s.contains("anyOf") && !s.contains("enum")) {
    Json types = s["type"].is_array() ? s["type"] : Json::array({s["type"]});
    if (std::find(types.begin(), types.end(), Json("null")) == types.end()) types.push_back("null");
    s["type"] = types;
    return s;
  }
  if (s.contains("anyOf") && s.size() == 1) {
    s["anyOf"].push_back(Json{{"type", "null"}});
    return s;
  }
  return Json{{"anyOf", Json::array({s, Json{{"type", "null"}}})}};
}

}  // namespace axolotl::config::detail
