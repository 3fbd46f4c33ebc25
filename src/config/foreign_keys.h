// Internal to config/: Python Axolotl keys we do not implement. Some only steer the Python backend
// (attention kernels, trackers, DeepSpeed, ...) and are accepted with a note saying what we do
// instead; others would change the result (RL, DPO, ReLoRA, GPTQ, ...) and are errors when set.
#pragma once

#include <string>
#include <vector>

namespace axolotl::config::detail {

struct ForeignKey {
  const char* name;
  bool prefix;       // name is a prefix (wandb_, flash_attn_, ...)
  bool changes_result;  // true: an error when set to anything but empty/false
  bool deprecated;   // deprecated in Axolotl itself (noted even when empty)
  const char* text;  // what we do instead (accepted) or why it matters (error)
};

const ForeignKey* find_foreign_key(const std::string& key);
std::vector<std::string> foreign_key_names();  // exact names, for "did you mean"
std::vector<ForeignKey> foreign_keys();        // the whole table, in lookup order (for the editor schema)

}  // namespace axolotl::config::detail
