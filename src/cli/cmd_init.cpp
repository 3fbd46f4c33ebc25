// `axolotl init --preset NAME [--output FILE] [--force] [--qlora]`: writes a commented, valid config
// from the presets embedded in the binary (configs/*.yml). Refuses to overwrite without --force.
// The config's first line names axolotl.schema.json for editors (yaml-language-server resolves it
// beside the config); with --output that schema is written there too, unless a file of that name
// that this tool did not write is in the way.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "axolotl/io/atomic_file.h"
#include "axolotl/cli/command.h"
#include "axolotl/config/loader.h"
#include "axolotl/config/presets.h"
#include "axolotl/config/schema.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::cli {

namespace {

struct InitArgs {
  std::string preset;
  std::string output;
  bool force = false;
  bool qlora = false;
};

// Writes the editor schema beside `config`; false when a file of that name that is not ours is there.
bool write_schema_beside(const std::filesystem::path& config, std::string& path) {
  path = (config.parent_path() / config::kSchemaFileName).string();
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!config::is_generated_schema(text)) return false;
  }
  io::write_file_atomic(path, config::config_schema().dump(2) + "\n");
  return true;
}

int run_init(const InitArgs& a) {
  std::string text = config::schema_modeline() + config::preset_text(a.preset, a.qlora);
  config::load_string(text, "preset " + a.preset);  // a preset that does not validate is a bug: throws
  if (a.output.empty()) {
    std::cout << text;
    log::info("init", "for editors, write the schema its first line names beside the config: "
              "axolotl config-schema > {}", config::kSchemaFileName);
    return 0;
  }
  std::error_code ec;
  if (std::filesystem::exists(a.output, ec) && !a.force) {
    throw UsageError(Diagnostic{{a.output, 0, 0}, {}, "file exists; not overwriting", {}, {}, "pass --force to replace it"});
  }
  io::write_file_atomic(a.output, text);
  log::info("init", "wrote {} (preset {}{}); check it with: axolotl validate {}", a.output, a.preset,
            a.qlora ? ", QLoRA" : "", a.output);
  std::string schema;
  if (write_schema_beside(a.output, schema)) {
    log::info("init", "wrote {} (the editor schema its first line names)", schema);
  } else {
    log::warn("init", "left {} as it is (not a schema axolotl wrote); editors read the config against it: "
              "replace it with `axolotl config-schema > {}`", schema, schema);
  }
  return 0;
}

}  // namespace

void add_init_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("init", "write a commented starter config from a preset");
  auto args = std::make_shared<InitArgs>();
  std::string names;
  for (const auto& n : config::preset_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--preset", args->preset, "preset name: " + names)->required();
  sub->add_option("-o,--output", args->output, "file to write; stdout when omitted");
  sub->add_flag("--force", args->force, "overwrite an existing file");
  sub->add_flag("--qlora", args->qlora, "QLoRA (4-bit NF4 base weights) instead of LoRA");
  sub->footer("Example:\n  axolotl init --preset tiny --output tiny.yml\n  axolotl init --preset llama-2-7b --qlora -o qlora.yml");
  sub->callback([args, &dispatch] { dispatch.run = [args] { return run_init(*args); }; });
}

}  // namespace axolotl::cli
