// Internal to config/: Axolotl's streaming-pretraining keys (pretraining_dataset, streaming,
// pretrain_multipack_attn, streaming_multipack_buffer_size, pretraining_sample_concatenation and the
// deprecated pretrain_multipack_buffer_size) and their cross-field checks.
#pragma once

#include "field.h"

namespace axolotl::config::detail {

// The fields above, for registry.cpp's table.
std::vector<Field> pretrain_fields();

// max_steps required, val_set_size / dataset_exact_deduplication refused, what is only noted.
void check_pretraining(const Config& c, State& st);

}  // namespace axolotl::config::detail
