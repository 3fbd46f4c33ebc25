// The editor's view of the config: a JSON Schema (draft-07, which yaml-language-server and so VS Code
// support in full) of both dialects, generated from the field tables. It checks key names and value
// types as the loader reads them; what only `validate` can judge (cross-field rules, capabilities
// refused by name, the model folder) stays there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace axolotl::config {

nlohmann::ordered_json config_schema();

// The file `init` writes beside a config, and the comment line that points editors at it (a path
// relative to the config, as yaml-language-server resolves it).
inline constexpr const char* kSchemaFileName = "axolotl.schema.json";
std::string schema_modeline(const std::string& schema_path = kSchemaFileName);
// True when `text` is a schema this tool wrote (one `init` may refresh), not someone else's file.
bool is_generated_schema(const std::string& text);

}  // namespace axolotl::config
