// Epoch plans (permutation, packing, micro-batches, steps) and collation of micro-batches.
#include "axolotl/data/batch_loader.h"

#include <algorithm>

#include "axolotl/data/dataset_builder.h"
#include "axolotl/data/kto_strategy.h"
#include "axolotl/data/preference_rows.h"
#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

uint64_t epoch_seed(uint64_t seed, int64_t epoch) {  // splitmix64 of (seed, epoch)
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(epoch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

BatchLoader::BatchLoader(const RowStore& rows, const BatchOptions& options) : rows_(rows), opt_(options) {
  if (opt_.micro_batch_size < 1 || opt_.gradient_accumulation_steps < 1 || opt_.sequence_len < 1) {
    throw Error("BatchLoader: micro_batch_size, gradient_accumulation_steps and sequence_len must be >= 1");
  }
  lengths_.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) lengths_[i] = rows.length(i);
}

const BatchLoader::Plan& BatchLoader::plan(int64_t epoch) {
  auto it = plans_.find(epoch);
  if (it != plans_.end()) return it->second;
  if (plans_.size() >= 2) plans_.erase(plans_.begin());
  uint64_t s = epoch_seed(opt_.seed, epoch);
  std::vector<size_t> order;
  if (opt_.shuffle) {
    order = seeded_permutation(rows_.size(), s);
  } else {
    order.resize(rows_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  }
  std::vector<std::vector<size_t>> bins;
  if (opt_.sample_packing && !opt_.preference_pairs && !opt_.kto_rows) {
    bins = pack_rows(lengths_, order, {opt_.sequence_len, opt_.max_per_bin, opt_.group_size, opt_.sequential_packing});
    if (opt_.shuffle && !opt_.sequential_packing) {  // FFD emits long-first bins; shuffle so batches do not drift in length
      auto perm = seeded_permutation(bins.size(), s ^ 0x5bd1e995ull);
      std::vector<std::vector<size_t>> shuffled;
      for (size_t i : perm) shuffled.push_back(std::move(bins[i]));
      bins = std::move(shuffled);
    }
  } else {
    for (size_t i : order) bins.push_back({i});
  }
  Plan p;
  size_t mbs = static_cast<size_t>(opt_.micro_batch_size);
  for (size_t b = 0; b < bins.size(); b += mbs) {
    // Packed bins: drop_last as Axolotl's multipack sampler; unpacked: keep the last partial batch.
    if (opt_.sample_packing && !opt_.preference_pairs && !opt_.kto_rows && b + mbs > bins.size() && b > 0) break;
    p.emplace_back(bins.begin() + static_cast<long>(b), bins.begin() + static_cast<long>(std::min(bins.size(), b + mbs)));
  }
  return plans_.emplace(epoch, std::move(p)).first->second;
}

int64_t BatchLoader::steps_in_epoch(int64_t epoch) {
  auto micro = static_cast<int64_t>(plan(epoch).size());
  return (micro + opt_.gradient_accumulation_steps - 1) / opt_.gradient_accumulation_steps;
}

double BatchLoader::efficiency(int64_t epoch) {
  int64_t used = 0, slots = 0;
  for (const auto& mb : plan(epoch)) {
    for (const auto& row : mb) {
      for (size_t i : row) used += lengths_[i];
      slots += opt_.sequence_len;
    }
  }
  return slots == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(slots);
}

StepBatch BatchLoader::step(int64_t epoch, int64_t index) {
  const Plan& p = plan(epoch);
  auto ga = static_cast<size_t>(opt_.gradient_accumulation_steps);
  size_t first = static_cast<size_t>(index) * ga;
  if (index < 0 || first >= p.size()) {
    throw Error("BatchLoader: step " + std::to_string(index) + " is past the end of epoch " + std::to_string(epoch));
  }
  StepBatch out;
  out.epoch = epoch;
  out.index = index;
  for (size_t m = first; m < std::min(p.size(), first + ga); ++m) {
    out.micro.push_back(collate(p[m]));
    out.trained_tokens += out.micro.back().trained_tokens;
  }
  return out;
}

StepBatch BatchLoader::next() {
  if (cursor_.step >= steps_in_epoch(cursor_.epoch)) cursor_ = {cursor_.epoch + 1, 0};
  StepBatch s = step(cursor_.epoch, cursor_.step);
  ++cursor_.step;
  return s;
}

Batch BatchLoader::collate(const std::vector<std::vector<size_t>>& rows) const {
  if (opt_.kto_rows) return collate_kto(rows);
  if (opt_.preference_pairs) return collate_pairs(rows);
  Batch b;
  b.rows = static_cast<int64_t>(rows.size());
  int64_t longest = 0;
  for (const auto& row : rows) {
    int64_t len = 0;
    for (size_t i : row) len += lengths_[i];
    longest = std::max(longest, len);
  }
  if (opt_.sample_packing || opt_.pad_to_sequence_len) b.seq_len = opt_.sequence_len;
  else b.seq_len = std::max<int64_t>(1, std::min<int64_t>((longest + 63) / 64 * 64, opt_.sequence_len));  // multiple of 64 (FORMATS §8)
  const size_t total = static_cast<size_t>(b.rows * b.seq_len);
  b.input_ids.assign(total, opt_.pad_id);
  b.labels.assign(total, kIgnoreIndex);
  b.position_ids.assign(total, 0);
  b.segment_ids.assign(total, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    size_t at = r * static_cast<size_t>(b.seq_len);
    int32_t segment = 0;
    for (size_t i : rows[r]) {
      ++segment;
      ++b.samples;
      auto len = static_cast<size_t>(lengths_[i]);
      std::copy(rows_.tokens(i), rows_.tokens(i) + len, b.input_ids.begin() + static_cast<long>(at));
      rows_.labels(i, b.labels.data() + at);
      if (!opt_.token_labels) b.labels[at] = kIgnoreIndex;  // first token: no in-sample predecessor
      for (size_t k = 0; k < len; ++k) {
        b.position_ids[at + k] = static_cast<int32_t>(k);
        b.segment_ids[at + k] = segment;
        b.trained_tokens += b.labels[at + k] != kIgnoreIndex;
      }
      b.tokens += static_cast<int64_t>(len);
      at += len;
    }
    for (int32_t k = 0; at < (r + 1) * static_cast<size_t>(b.seq_len); ++at, ++k) b.position_ids[at] = k;
  }
  return b;
}

Batch BatchLoader::collate_pairs(const std::vector<std::vector<size_t>>& rows) const {
  Batch b;
  const auto p = static_cast<int64_t>(rows.size());
  b.rows = 2 * p;
  std::vector<std::pair<const int32_t*, int64_t>> seqs(static_cast<size_t>(b.rows));  // (begin, length)
  std::vector<std::vector<int32_t>> labels(static_cast<size_t>(p));
  for (int64_t r = 0; r < p; ++r) {
    const size_t i = rows[static_cast<size_t>(r)].at(0);
    const int32_t* t = rows_.tokens(i);
    const PairSpans s = pair_spans(t, lengths_[i]);
    seqs[static_cast<size_t>(r)] = {t + s.chosen_begin, s.chosen_length};
    seqs[static_cast<size_t>(p + r)] = {t + s.rejected_begin, s.rejected_length};
    labels[static_cast<size_t>(r)].resize(static_cast<size_t>(lengths_[i]));
    rows_.labels(i, labels[static_cast<size_t>(r)].data());
  }
  for (const auto& s : seqs) b.seq_len = std::max(b.seq_len, s.second);
  b.seq_len = std::max<int64_t>(1, b.seq_len);
  const size_t total = static_cast<size_t>(b.rows * b.seq_len);
  b.input_ids.assign(total, opt_.pad_id);
  b.labels.assign(total, kIgnoreIndex);
  b.position_ids.assign(total, 0);
  b.segment_ids.assign(total, 0);
  for (int64_t r = 0; r < b.rows; ++r) {
    const auto [begin, len] = seqs[static_cast<size_t>(r)];
    const size_t i = rows[static_cast<size_t>(r % p)].at(0);
    const int32_t* pair_labels = labels[static_cast<size_t>(r % p)].data() + (begin - rows_.tokens(i));
    const size_t at = static_cast<size_t>(r * b.seq_len);
    for (int64_t k = 0; k < b.seq_len; ++k) {
      b.position_ids[at + static_cast<size_t>(k)] = static_cast<int32_t>(k < len ? k : k - len);
      if (k >= len) continue;
      b.input_ids[at + static_cast<size_t>(k)] = begin[k];
      b.labels[at + static_cast<size_t>(k)] = k == 0 ? kIgnoreIndex : pair_labels[k];
      b.segment_ids[at + static_cast<size_t>(k)] = 1;
      b.trained_tokens += b.labels[at + static_cast<size_t>(k)] != kIgnoreIndex;
    }
    b.tokens += len;
  }
  b.samples = p;
  return b;
}

Batch BatchLoader::collate_kto(const std::vector<std::vector<size_t>>& rows) const {
  Batch b;
  const auto n = static_cast<int64_t>(rows.size());
  b.rows = 2 * n;
  b.samples = n;
  std::vector<KtoSpans> spans(static_cast<size_t>(n));
  std::vector<const int32_t*> tokens(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const size_t i = rows[static_cast<size_t>(r)].at(0);
    tokens[static_cast<size_t>(r)] = rows_.tokens(i);
    spans[static_cast<size_t>(r)] = kto_spans(rows_.tokens(i), lengths_[i]);
    b.desirable.push_back(spans[static_cast<size_t>(r)].desirable ? 1 : 0);
  }
  // Row r: the prompt of example r with the completion of example `from[r]`.
  const int64_t g = std::max(1, opt_.kl_group);
  std::vector<int64_t> from(static_cast<size_t>(b.rows));
  for (int64_t r = 0; r < n; ++r) {
    const int64_t start = r / g * g, size = std::min(g, n - start);
    from[static_cast<size_t>(r)] = r;
    from[static_cast<size_t>(n + r)] = start + (r - start + size - 1) % size;  // completions[-1:] + completions[:-1]
  }
  auto length_of = [&](int64_t r) {
    const KtoSpans& p = spans[static_cast<size_t>(r % n)];
    const KtoSpans& c = spans[static_cast<size_t>(from[static_cast<size_t>(r)])];
    return std::min<int64_t>(opt_.sequence_len, p.prompt_length + c.completion_length);
  };
  for (int64_t r = 0; r < b.rows; ++r) b.seq_len = std::max(b.seq_len, length_of(r));
  b.seq_len = std::max<int64_t>(1, b.seq_len);
  const size_t total = static_cast<size_t>(b.rows * b.seq_len);
  b.input_ids.assign(total, opt_.pad_id);
  b.labels.assign(total, kIgnoreIndex);
  b.position_ids.assign(total, 0);
  b.segment_ids.assign(total, 0);
  for (int64_t r = 0; r < b.rows; ++r) {
    const KtoSpans& p = spans[static_cast<size_t>(r % n)];
    const int64_t c = from[static_cast<size_t>(r)];
    const KtoSpans& cs = spans[static_cast<size_t>(c)];
    const int32_t* prompt = tokens[static_cast<size_t>(r % n)] + p.prompt_begin;
    const int32_t* completion = tokens[static_cast<size_t>(c)] + cs.completion_begin;
    const int64_t len = length_of(r);
    const size_t at = static_cast<size_t>(r * b.seq_len);
    for (int64_t k = 0; k < b.seq_len; ++k) {
      const size_t x = at + static_cast<size_t>(k);
      b.position_ids[x] = static_cast<int32_t>(k < len ? k : k - len);
      if (k >= len) continue;
      const bool in_prompt = k < p.prompt_length;
      b.input_ids[x] = in_prompt ? prompt[k] : completion[k - p.prompt_length];
      b.labels[x] = in_prompt || k == 0 ? kIgnoreIndex : b.input_ids[x];
      b.segment_ids[x] = 1;
      if (r < n) b.trained_tokens += b.labels[x] != kIgnoreIndex;
    }
    if (r < n) b.tokens += len;
  }
  return b;
}

}  // namespace axolotl::data
