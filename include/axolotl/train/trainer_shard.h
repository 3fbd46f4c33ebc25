// Data-parallel split of the training batches: the loader forms GLOBAL micro-batches of
// micro_batch_size × world_size rows (bins when packing), and rank r trains rows
// [r·micro_batch_size, (r+1)·micro_batch_size) of each. So the union over ranks of one step is exactly
// what one process with micro_batch_size × world_size reads (same bins, same padding per row).
#pragma once

#include <cstdint>

#include "axolotl/data/batch_loader.h"

namespace axolotl::train {

// Rows [begin, end) of `batch` (clamped to its rows; may be empty) with samples, tokens and
// trained_tokens recounted for those rows. seq_len is kept (the padding of the global micro-batch).
data::Batch slice_rows(const data::Batch& batch, int64_t begin, int64_t end);

// This rank's share of a global micro-batch: rows [rank·per_rank, (rank+1)·per_rank). The last global
// micro-batch of an unpacked epoch can be short, so a rank's share may have 0 rows.
data::Batch rank_share(const data::Batch& global, int rank, int64_t per_rank);

}  // namespace axolotl::train
