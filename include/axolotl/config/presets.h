// Starter configs for `axolotl init`, embedded into the binary at build time from configs/*.yml.
#pragma once

#include <string>
#include <vector>

namespace axolotl::config {

std::vector<std::string> preset_names();
// The commented YAML text of a preset; `qlora` switches it to QLoRA (adapter: qlora, load_in_4bit).
// Throws UsageError for an unknown name.
std::string preset_text(const std::string& name, bool qlora);

}  // namespace axolotl::config
