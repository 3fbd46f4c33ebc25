// Internal to config/: turns bytes into a YAML tree that is safe to walk. Rejects, with a line and
// column, what yaml-cpp would mishandle or what cannot be a config: invalid UTF-8, control bytes,
// tab indentation, syntax errors, keys that are not plain strings, duplicate keys, and trees too
// deep or too large (alias cycles, "billion laughs" alias expansion).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "state.h"

namespace axolotl::config::detail {

// Parses `text` into `root`; false after reporting why the text was rejected. `st.source()` names
// the text in messages.
bool parse_yaml(const std::string& text, State& st, YAML::Node& root);

}  // namespace axolotl::config::detail
