// Shell completion scripts generated from the CLI11 command table (`axolotl completion bash|zsh|fish`):
// every command, alias and option the parser knows, so the scripts never drift from the parser.
// Words that are not options complete as file names.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace axolotl::cli {

// The shells a script can be written for, in the order `completion --help` lists them.
const std::vector<std::string>& completion_shells();

// The script for `shell` (one of completion_shells()); throws UsageError otherwise.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace axolotl::cli
