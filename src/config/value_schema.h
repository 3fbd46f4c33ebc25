// Internal to config/: JSON Schema (draft-07) fragments for the values the loader accepts, so that an
// editor checking a config agrees with `validate`. A value is read by yaml-cpp as text, so each
// fragment admits both readings editors and tools give that text: YAML 1.2 (yaml-language-server:
// `yes` and `500_000` are strings) and YAML 1.1 (PyYAML, so Axolotl: `2e-5` is a string, `no` false).
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace axolotl::config::detail {

using Json = nlohmann::ordered_json;
struct Limits;

Json bool_schema();                          // true/false, and the yes/no/on/off spellings read_bool takes
Json int_schema(const Limits& lim);          // an integer within `lim`, or a number written as text
Json number_schema(const Limits& lim);       // a number within `lim`, or a number written as text
Json scalar_schema();                        // any scalar (read as text)
Json string_list_schema();                   // a list of scalars, or one scalar
Json string_map_schema();                    // a map of scalars
// One of `names` (the YAML spellings); a name that YAML 1.1 reads as a boolean (no, on, ...) also as that.
Json enum_schema(const std::vector<std::string>& names);
// `s` that also admits null (an empty `key:`, which the loader reads as "unset").
Json nullable(Json s);

template <class T>
Json value_schema(const Limits& lim) {
  if constexpr (std::is_same_v<T, bool>) {
    return bool_schema();
  } else if constexpr (std::is_integral_v<T>) {
    return int_schema(lim);
  } else if constexpr (std::is_floating_point_v<T>) {
    return number_schema(lim);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return scalar_schema();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return string_list_schema();
  } else {
    static_assert(std::is_same_v<T, std::map<std::string, std::string>>);
    return string_map_schema();
  }
}

}  // namespace axolotl::config::detail
