// Member access helpers for the tokenizer.json component factories.
#include "axolotl/data/tokenizer_json/json_util.h"

#include "axolotl/data/tokenizer_json/regex.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {

std::string component_type(const nlohmann::json& j, const std::string& what, const std::string& where) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw Error(Diagnostic{{where, 0, 0}, what, "component without a \"type\" string", j.dump().substr(0, 80),
                           "an object {\"type\": ...}", {}});
  }
  return j["type"].get<std::string>();
}

const nlohmann::json& member(const nlohmann::json& j, const std::string& key, const std::string& what,
                             const std::string& where) {
  if (!j.is_object() || !j.contains(key)) {
    throw Error(Diagnostic{{where, 0, 0}, what + "." + key, "missing key", {}, {}, {}});
  }
  return j[key];
}

std::string string_member(const nlohmann::json& j, const std::string& key, const std::string& what,
                          const std::string& where) {
  const auto& v = member(j, key, what, where);
  if (!v.is_string()) {
    throw Error(Diagnostic{{where, 0, 0}, what + "." + key, "wrong type", v.type_name(), "a string", {}});
  }
  return v.get<std::string>();
}

std::string pattern_regex(const nlohmann::json& j, const std::string& what, const std::string& where) {
  const auto& p = member(j, "pattern", what, where);
  if (p.is_object() && p.contains("String") && p["String"].is_string()) {
    return Regex::escape(p["String"].get<std::string>());
  }
  if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) return p["Regex"].get<std::string>();
  throw Error(Diagnostic{{where, 0, 0}, what + ".pattern", "bad pattern", p.dump().substr(0, 80),
                         "{\"String\": ...} or {\"Regex\": ...}", {}});
}

void unsupported(const std::string& what, const std::string& type, const std::string& where,
                 const std::string& supported) {
  throw Error(Diagnostic{{where, 0, 0}, what, what + " type \"" + type + "\" is not implemented", type, supported,
                         "this tokenizer.json needs a component axolotl does not have yet"});
}

}  // namespace axolotl::data::tokjson
