// Runs the reference validator of the config schema (tests/reference/config_schema_check.py, the
// jsonschema package) on a schema file and config files; skips cleanly without python3-jsonschema.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace axolotl::testing {

struct SchemaCheck {
  bool skipped = false;                         // no python3, jsonschema or PyYAML
  int exit_code = -1;                           // 0 all valid, 1 some config invalid, 2 bad schema
  std::string output;                           // everything the script printed
  std::set<std::string> ok;                     // config paths that validate
  std::map<std::string, std::string> invalid;   // config path -> the first error
};

SchemaCheck check_schema(const std::filesystem::path& schema, const std::vector<std::filesystem::path>& configs,
                         const std::filesystem::path& yaml_schema = {});

}  // namespace axolotl::testing

// Skips the current test when the reference validator cannot run.
#define AXOLOTL_SKIP_WITHOUT_VALIDATOR(check)                                                  \
  do {                                                                                         \
    if ((check).skipped) GTEST_SKIP() << "no python3-jsonschema: " << (check).output;          \
  } while (0)
