// The `axolotl` executable: parses the command line, runs one command, and is the only catch site.
// Exit status: 0 ok, 1 runtime failure, 2 usage or config error, 128+signal after a graceful stop.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "axolotl/cli/command.h"
#include "axolotl/cli/log_options.h"
#include "axolotl/cli/version.h"
#include "axolotl/util/error.h"
#include "axolotl/util/edit_distance.h"
#include "axolotl/util/interrupt.h"
#include "axolotl/util/log.h"
#include "axolotl/util/terminal.h"

namespace {

constexpr const char* kFooter = R"(Examples:
  axolotl init --preset tiny --output tiny.yml     write a config for the offline example
  axolotl validate examples/tiny/config.yml        check a config and print every effective value
  axolotl train my.yml --learning-rate 1e-4        train, overriding one key (Axolotl's flat form)
  axolotl train my.yml --set training.epochs=2     train, overriding one key (nested form)

Settings are taken from built-in defaults, then the YAML file, then the command line, the later
winning. Both Python Axolotl's flat YAML and this project's nested YAML are accepted.)";

// The first word that is not an option (or an option's value): the command the user meant.
// Empty when there is none or when it names a command (or alias).
std::string unknown_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--log-level") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(a)) return {};
    }
    return a;
  }
  return {};
}

// "did you mean 'merge'?" for the closest command name, or a list of all of them.
std::string command_hint(const CLI::App& app, const std::string& word) {
  std::string best, all;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string& name = sub->get_name();
    all += (all.empty() ? "" : ", ") + name;
    size_t d = axolotl::edit_distance(word, name);
    if (word.rfind(name, 0) == 0 || name.rfind(word, 0) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  return best.empty() ? "commands: " + all : "did you mean '" + best + "'?";
}

// "error:", red and bold when stderr is a terminal that takes colours (terminal.h: a terminal, NO_COLOR unset).
std::string error_prefix() {
  return axolotl::colour_allowed(STDERR_FILENO) ? "\033[1;31merror:\033[0m " : "error: ";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace axolotl;
  // A file-size limit (ulimit -f, prlimit --fsize) makes writes fail with EFBIG, which becomes an
  // IoError naming the file, instead of SIGXFSZ killing the process with a half-written output.
  std::signal(SIGXFSZ, SIG_IGN);
  install_interrupt_handlers();  // SIGINT/SIGTERM: long work stops cleanly at its next poll (interrupt.h)
  CLI::App app{"axolotl: fine-tune LLaMA-family models from a YAML config (LoRA, QLoRA, full)", "axolotl"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", cli::version_text(), "print the version, LibTorch, CUDA and oneDNN of this build");
  cli::LogOptions log_options;
  cli::add_log_options(app, log_options);

  cli::Dispatch dispatch;
  cli::add_validate_command(app, dispatch);
  cli::add_init_command(app, dispatch);
  cli::add_config_schema_command(app, dispatch);
  cli::add_preprocess_command(app, dispatch);
  cli::add_train_command(app, dispatch);
  cli::add_merge_command(app, dispatch);
  cli::add_inference_command(app, dispatch);
  cli::add_download_command(app, dispatch);
  cli::add_create_tiny_command(app, dispatch);
  cli::add_inspect_command(app, dispatch);
  cli::add_export_command(app, dispatch);
  cli::add_tokenize_command(app, dispatch);
  cli::add_evaluate_command(app, dispatch);
  cli::add_completion_command(app, dispatch);
  // -q, --log-level and --debug after the command too (`axolotl train x.yml -q`).
  for (auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    cli::add_log_options(*sub, log_options, sub->get_option_no_throw("--debug") == nullptr);
  }

  if (const std::string word = unknown_command(app, argc, argv); !word.empty()) {
    std::cerr << error_prefix() << "unknown command '" << word << "'; " << command_hint(app, word)
              << "\n  hint: axolotl --help lists every command\n";
    return 2;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    log::set_level(log_options.resolve());
    if (!dispatch.run) throw UsageError("no command given; see axolotl --help");
    int status = dispatch.run();
    std::fflush(stdout);
    return status;
  } catch (const ConfigError& e) {
    std::cerr << error_prefix() << e.what() << "\n";
    return e.exit_code();
  } catch (const Error& e) {
    std::cerr << error_prefix() << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << error_prefix() << "out of memory\n  hint: lower micro_batch_size or sequence_len, or use QLoRA\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << error_prefix() << "internal: " << e.what() << "\n";
    return 1;
  }
}
