// `axolotl config-schema [--format json|yaml]`: prints the config's JSON Schema (config/schema.h) for
// editors: `axolotl config-schema > axolotl.schema.json`, named by a config's first line
// `# yaml-language-server: $schema=axolotl.schema.json` (what `init` writes).
#include <iostream>

#include "axolotl/cli/command.h"
#include "axolotl/config/dump.h"
#include "axolotl/config/schema.h"

namespace axolotl::cli {

namespace {

int run_config_schema(const std::string& format) {
  const auto schema = config::config_schema();
  std::cout << (format == "yaml" ? config::json_to_yaml(schema) : schema.dump(2) + "\n");
  return 0;
}

}  // namespace

void add_config_schema_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("config-schema", "print the config's JSON Schema, for editors (VS Code, ...)");
  auto format = std::make_shared<std::string>("json");
  sub->add_option("--format", *format, "json, or the same schema as YAML")
      ->check(CLI::IsMember({"json", "yaml"}))
      ->capture_default_str();
  sub->footer(
      "The schema (JSON Schema draft-07) covers both dialects: Python Axolotl's flat keys and the nested\n"
      "sections. It checks key names and value types; `axolotl validate` checks everything else.\n\n"
      "Examples:\n"
      "  axolotl config-schema > axolotl.schema.json\n"
      "  # then, as the first line of a config beside it (axolotl init writes both):\n"
      "  # yaml-language-server: $schema=axolotl.schema.json\n"
      "  axolotl config-schema --format yaml");
  sub->callback([format, &dispatch] { dispatch.run = [format] { return run_config_schema(*format); }; });
}

}  // namespace axolotl::cli
