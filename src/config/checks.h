// Internal to config/: checks that involve more than one field (QLoRA needs 4-bit loading, steps
// vs per-epoch settings, LoRA target names, ...), run on the resolved Config.
#pragma once

#include "axolotl/config/config.h"
#include "state.h"

namespace axolotl::config::detail {

void derive_config(Config& config, State& st);  // values Axolotl derives: batch_size -> accumulation
void check_config(const Config& c, State& st);

}  // namespace axolotl::config::detail
