// Internal to config/: ReLoRA and the jagged-restart schedule (Axolotl's ReLoRAConfig in
// utils/schemas/peft.py, the jagged_restart_* training arguments, check_relora in validation.py).
#pragma once

#include <vector>

#include "field.h"

namespace axolotl::config::detail {

// relora, relora_prune_ratio, relora_prune_method, relora_cpu_offload, jagged_restart_steps,
// jagged_restart_warmup_steps, jagged_restart_anneal_steps (the last two also take false: unset).
std::vector<Field> relora_fields();

// ReLoRA needs jagged_restart_steps, a LoRA/QLoRA adapter, AdamW (its moments are pruned) and the
// supervised objective; relora_cpu_offload is a note.
void check_relora(const Config& c, State& st);

}  // namespace axolotl::config::detail
