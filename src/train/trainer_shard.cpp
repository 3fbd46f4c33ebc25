// Row slices of collated micro-batches for data parallelism (see trainer_shard.h).
#include "axolotl/train/trainer_shard.h"

#include <algorithm>

#include "axolotl/data/row_encoder.h"

namespace axolotl::train {

data::Batch slice_rows(const data::Batch& batch, int64_t begin, int64_t end) {
  begin = std::clamp<int64_t>(begin, 0, batch.rows);
  end = std::clamp<int64_t>(end, begin, batch.rows);
  data::Batch out;
  out.rows = end - begin;
  out.seq_len = batch.seq_len;
  const auto from = static_cast<long>(begin * batch.seq_len), to = static_cast<long>(end * batch.seq_len);
  out.input_ids.assign(batch.input_ids.begin() + from, batch.input_ids.begin() + to);       // (rows, T)
  out.labels.assign(batch.labels.begin() + from, batch.labels.begin() + to);                // (rows, T)
  out.position_ids.assign(batch.position_ids.begin() + from, batch.position_ids.begin() + to);
  out.segment_ids.assign(batch.segment_ids.begin() + from, batch.segment_ids.begin() + to);
  for (int64_t r = 0; r < out.rows; ++r) {
    int32_t last_segment = 0;  // segments are numbered 1.. within each row, 0 = padding
    for (int64_t t = 0; t < out.seq_len; ++t) {
      const auto i = static_cast<size_t>(r * out.seq_len + t);
      last_segment = std::max(last_segment, out.segment_ids[i]);
      out.tokens += out.segment_ids[i] != 0;
      out.trained_tokens += out.labels[i] != data::kIgnoreIndex;
    }
    out.samples += last_segment;
  }
  return out;
}

data::Batch rank_share(const data::Batch& global, int rank, int64_t per_rank) {
  return slice_rows(global, rank * per_rank, (rank + 1) * per_rank);
}

}  // namespace axolotl::train
