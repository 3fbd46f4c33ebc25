// `completion bash|zsh|fish`: prints a shell completion script generated from this parser.
#include <iostream>

#include "axolotl/cli/command.h"
#include "axolotl/cli/completion.h"

namespace axolotl::cli {

void add_completion_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("completion", "print a shell completion script (bash, zsh or fish)");
  auto shell = std::make_shared<std::string>();
  sub->add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember(completion_shells()));
  sub->footer("Examples:\n"
              "  source <(axolotl completion bash)                      this shell only\n"
              "  axolotl completion bash > ~/.local/share/bash-completion/completions/axolotl\n"
              "  axolotl completion zsh > \"${fpath[1]}/_axolotl\"\n"
              "  axolotl completion fish > ~/.config/fish/completions/axolotl.fish");
  const CLI::App* root = &app;
  sub->callback([root, shell, &dispatch] {
    dispatch.run = [root, shell] {
      std::cout << completion_script(*root, *shell);
      return 0;
    };
  });
}

}  // namespace axolotl::cli
