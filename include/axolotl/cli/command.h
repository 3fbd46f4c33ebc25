// How each subcommand plugs into main(): one file per command registers its CLI11 subcommand
// and returns the function that runs it. main() is the only place that catches errors.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace axolotl::cli {

// Runs a parsed command; returns the process exit status.
using Runner = std::function<int()>;

// Where a command stores the runner chosen by the parse.
struct Dispatch {
  Runner run;
};

// Options every config-driven command shares: the YAML path and command-line overrides, both the
// `--set section.key=value` form and Axolotl's flat `--learning-rate 1e-4` form (left-over args).
// Within one command line the later of the two forms wins: `set_after[i]` counts the left-over args
// (flat overrides) that came before `sets[i]`, so overrides_from() can keep the typed order.
struct ConfigArgs {
  std::string path;
  std::vector<std::string> sets;
  std::vector<size_t> set_after;  // parallel to sets; empty: every --set before the flat form
};

void add_config_args(CLI::App& sub, ConfigArgs& args);
// The repeatable `--set KEY=VALUE` option alone (for commands whose config path is optional).
void add_set_option(CLI::App& sub, ConfigArgs& args, const std::string& help);

void add_validate_command(CLI::App& app, Dispatch& dispatch);
void add_init_command(CLI::App& app, Dispatch& dispatch);
void add_config_schema_command(CLI::App& app, Dispatch& dispatch);  // the config's JSON Schema, for editors
void add_preprocess_command(CLI::App& app, Dispatch& dispatch);
void add_train_command(CLI::App& app, Dispatch& dispatch);
void add_merge_command(CLI::App& app, Dispatch& dispatch);
void add_inference_command(CLI::App& app, Dispatch& dispatch);
void add_download_command(CLI::App& app, Dispatch& dispatch);
void add_create_tiny_command(CLI::App& app, Dispatch& dispatch);
void add_inspect_command(CLI::App& app, Dispatch& dispatch);
void add_export_command(CLI::App& app, Dispatch& dispatch);
void add_tokenize_command(CLI::App& app, Dispatch& dispatch);
void add_evaluate_command(CLI::App& app, Dispatch& dispatch);  // Axolotl's `evaluate`: eval loss, no training
void add_completion_command(CLI::App& app, Dispatch& dispatch);  // scripts generated from `app` itself

}  // namespace axolotl::cli
