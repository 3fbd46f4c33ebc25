// `axolotl validate CONFIG [--format text|json]`: checks a config and prints every effective value
// in the nested dialect (YAML that validates again) with a summary; notes go to stderr. Torch-free.
#include <filesystem>
#include <iostream>

#include "axolotl/cli/command.h"
#include "axolotl/cli/model_checks.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "axolotl/config/registry.h"
#include "axolotl/model/family.h"
#include "axolotl/util/log.h"

namespace axolotl::cli {

namespace {

// The family named by a local base_model folder's config.json (model/family.h); empty when the model is
// not a local folder. A refused architecture throws ConfigError naming it.
std::string model_family(const config::ModelConfig& m) {
  namespace fs = std::filesystem;
  const std::string dir = m.config_path.empty() ? m.name : m.config_path;
  if (dir.empty() || !fs::exists(fs::path(dir) / "config.json")) return {};
  return model::family_label(model::load_llama_config(dir));
}

std::string summary_text(const nlohmann::ordered_json& s, const std::string& path) {
  std::string out = "axolotl validate: " + path + " is valid. Resolved settings (nested dialect):\n";
  out += "model: " + s["model"].get<std::string>() + "\n";
  if (s.contains("model_family")) out += "model family: " + s["model_family"].get<std::string>() + "\n";
  std::string ds;
  for (const auto& d : s["datasets"]) ds += (ds.empty() ? "" : ", ") + d.get<std::string>();
  out += "datasets: " + (ds.empty() ? std::string("none") : ds) + "\n";
  out += "adapter: " + s["adapter"].get<std::string>() + "\n";
  out += "precision: " + s["precision"].get<std::string>() + "\n";
  out += "effective batch size: " + s["effective_batch_size"].dump() + " (micro batch x accumulation x WORLD_SIZE " +
         s["world_size"].dump() + ")";
  return out;
}

}  // namespace

void add_validate_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("validate", "check a config and print the resolved settings");
  auto args = std::make_shared<ConfigArgs>();
  auto format = std::make_shared<std::string>("text");
  add_config_args(*sub, *args);
  sub->add_option("--format", *format, "text (nested YAML with a summary) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->footer("Example:\n  axolotl validate examples/tiny/config.yml --format json\n\n" + config::field_table());
  sub->callback([sub, args, format, &dispatch] {
    dispatch.run = [sub, args, format] {
      auto result = config::load_file(args->path, overrides_from(*args, sub->remaining()));
      for (const auto& n : result.notes) log::warn("config", "{}", n.str());
      require_model_side(result.config, false);  // base_model, tokenizer, device: each problem a config error
      auto summary = config::summary(result.config);
      const std::string family = model_family(result.config.model);
      if (!family.empty()) summary["model_family"] = family;
      if (*format == "json") {
        nlohmann::ordered_json out;
        out["config"] = config::to_json(result.config);
        out["summary"] = summary;
        std::cout << out.dump(2) << "\n";
      } else {
        std::cout << config::to_yaml(result.config, summary_text(summary, args->path));
      }
      return 0;
    };
  });
}

}  // namespace axolotl::cli
