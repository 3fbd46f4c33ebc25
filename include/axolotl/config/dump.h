// The resolved config as data: JSON (nested sections, every effective value, defaults included) and
// the same in the nested YAML dialect, which loads back to an identical Config.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "axolotl/config/config.h"

namespace axolotl::config {

nlohmann::ordered_json to_json(const Config& c);
// Nested-dialect YAML of to_json(c); `header` lines are written first as # comments.
std::string to_yaml(const Config& c, const std::string& header = {});
// Block YAML of any JSON document (maps as `key: value`, strings JSON-quoted): the same data.
std::string json_to_yaml(const nlohmann::ordered_json& j);
// Short facts for people: model, datasets, adapter, precision, effective batch size.
nlohmann::ordered_json summary(const Config& c);

}  // namespace axolotl::config
