// Axolotl's `unfrozen_parameters` (utils/freeze.py freeze_layers_except), applied where Axolotl applies
// it: after the adapter is set up. Every parameter is frozen, then each one whose name a pattern
// matches is trainable again; a pattern's row range keeps only those rows of dim 0 trained (their
// gradients elsewhere are zeroed by a hook, so weight decay still moves them, as in Axolotl).
// Names are the model's own with full fine-tuning and PEFT's in-memory names with an adapter
// (base_model.model.…, lora_A.default.weight, modules_to_save.default.weight), as Axolotl sees them.
#pragma once

#include <string>
#include <vector>

#include "axolotl/model/llama_model.h"

namespace axolotl::train {

// ConfigError (key unfrozen_parameters) when no parameter is left trainable, or when an adapter run
// would train base weights that its adapter files cannot hold.
void apply_unfrozen_parameters(model::LlamaForCausalLMImpl& m, const std::vector<std::string>& patterns, bool adapter);

}  // namespace axolotl::train
