// Internal to config/: Axolotl's reward-model keys (reward_model, process_reward_model, num_labels,
// center_rewards_coefficient) and the checks and defaults Axolotl applies to them
// (utils/schemas/validation.py set_reward_model_defaults, hint_reward_model_pad; core/builders/causal.py).
#pragma once

#include "field.h"

namespace axolotl::config::detail {

// The fields above, for registry.cpp's table.
std::vector<Field> reward_fields();

// What a reward run needs (bradley_terry.chat_template pairs and one label; a process reward model:
// stepwise_supervised rows and two or more labels; both full fine-tuning, no packing, no rl) and what
// only a reward run reads.
void check_reward(const Config& c, State& st);

// Axolotl's defaults: num_labels 1 (process reward models: 2), pad_to_sequence_len true (reward_model,
// when unset), and the head kind.
void derive_reward(Config& c, State& st);

}  // namespace axolotl::config::detail
