// `axolotl init` presets (see presets.h): the embedded configs/*.yml, switched to QLoRA on request.
#include "axolotl/config/presets.h"

#include "axolotl/util/error.h"
#include "preset_data.h"

namespace axolotl::config {

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const auto& p : detail::preset_files()) out.push_back(p.name);
  return out;
}

namespace {
// Replaces the line starting with `from` (a whole `key: value` at column 0) by `to`; false if absent.
bool replace_line(std::string& text, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    bool line_start = pos == 0 || text[pos - 1] == '\n';
    size_t after = pos + from.size();
    bool line_end = after == text.size() || text[after] == '\n' || text[after] == ' ';
    if (line_start && line_end) {
      text.replace(pos, from.size(), to);
      return true;
    }
    pos = after;
  }
  return false;
}
}  // namespace

std::string preset_text(const std::string& name, bool qlora) {
  std::string all;
  for (const auto& p : detail::preset_files()) {
    all += (all.empty() ? "" : ", ") + p.name;
    if (p.name != name) continue;
    std::string text = p.text;
    if (qlora && !(replace_line(text, "adapter: lora", "adapter: qlora") &&
                   replace_line(text, "load_in_4bit: false", "load_in_4bit: true"))) {
      throw Error("preset " + name + " cannot be switched to QLoRA (its adapter lines are missing)");
    }
    return text;
  }
  throw UsageError(Diagnostic{{}, "--preset", "unknown preset", "'" + name + "'", "one of " + all, {}});
}

}  // namespace axolotl::config
