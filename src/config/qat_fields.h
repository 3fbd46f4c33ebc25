// Internal to config/: Axolotl's `qat:` map (QATConfig, utils/schemas/quantization.py) and the checks
// Axolotl makes before and while preparing the model (check_qat_config, get_quantization_config).
#pragma once

#include "field.h"

namespace axolotl::config::detail {

// The `qat` field, for registry.cpp's table (nested dialect: training.qat).
Field qat_field();

// Dtype pairs torchao's QAT cannot fake (as Axolotl refuses them), group sizes, 8/4-bit bases, LoRA.
void check_qat(const Config& c, State& st);

}  // namespace axolotl::config::detail
