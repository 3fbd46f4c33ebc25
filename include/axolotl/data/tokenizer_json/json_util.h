// Typed access to tokenizer.json members with errors that name the file, the component and the key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace axolotl::data::tokjson {

// The "type" of a component object; throws when it is missing or not a string.
std::string component_type(const nlohmann::json& j, const std::string& what, const std::string& where);
// j[key], which must exist.
const nlohmann::json& member(const nlohmann::json& j, const std::string& key, const std::string& what,
                             const std::string& where);
std::string string_member(const nlohmann::json& j, const std::string& key, const std::string& what,
                          const std::string& where);
// A {"String": s} or {"Regex": r} pattern as an Oniguruma regex (strings escaped).
std::string pattern_regex(const nlohmann::json& j, const std::string& what, const std::string& where);
// Throws Error: `what` of type `type` is not implemented; `supported` lists what is.
[[noreturn]] void unsupported(const std::string& what, const std::string& type, const std::string& where,
                              const std::string& supported);

}  // namespace axolotl::data::tokjson
