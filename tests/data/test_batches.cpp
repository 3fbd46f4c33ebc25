// Packing, collation, loss-normalisation counts, determinism and resume, and the RowStore file.
#include <gtest/gtest.h>

#include <random>

#include "axolotl/data/batch_loader.h"
#include "axolotl/data/packing.h"
#include "axolotl/data/row_store.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

// Rows of random lengths in [min_len, max_len]: token t+1 at position t, first `prompt` masked.
RowStore make_rows(size_t n, int min_len, int max_len, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  RowStore s;
  for (size_t i = 0; i < n; ++i) {
    int len = min_len + static_cast<int>(rng() % static_cast<uint64_t>(max_len - min_len + 1));
    TokenizedRow r;
    for (int t = 0; t < len; ++t) {
      r.input_ids.push_back(static_cast<int32_t>(1 + (i * 7 + t) % 500));
      r.labels.push_back(t < len / 3 ? kIgnoreIndex : r.input_ids.back());
    }
    s.append(r);
  }
  return s;
}

TEST(Packing, BinsRespectCapacityAndHoldEveryRowOnce) {
  std::vector<int64_t> lengths = {700, 300, 1024, 5, 900, 124, 1000, 48, 512, 512};
  std::vector<size_t> order(lengths.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto bins = pack_rows(lengths, order, {1024, 200, 100000});
  std::vector<int> seen(lengths.size(), 0);
  for (const auto& b : bins) {
    int64_t used = 0;
    for (size_t i : b) {
      used += lengths[i];
      ++seen[i];
    }
    EXPECT_LE(used, 1024);
  }
  for (int s : seen) EXPECT_EQ(s, 1);
  int64_t total = 0;
  for (auto l : lengths) total += l;
  size_t lower_bound = static_cast<size_t>((total + 1023) / 1024);
  EXPECT_EQ(bins.size(), lower_bound);  // 5127 tokens: FFD reaches the optimum of 6 bins here
  EXPECT_NEAR(packing_efficiency(bins, lengths, 1024), total / (1024.0 * bins.size()), 1e-12);
}

TEST(Packing, MaxPerBinAndOversizeRows) {
  std::vector<int64_t> lengths(10, 1);
  std::vector<size_t> order{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto bins = pack_rows(lengths, order, {100, 3, 100000});
  EXPECT_EQ(bins.size(), 4u);
  for (const auto& b : bins) EXPECT_LE(b.size(), 3u);
  EXPECT_THROW(pack_rows({200}, {0}, {100, 3, 10}), Error);
}

// sample_packing_sequentially: Axolotl's allocate_sequentially (utils/samplers/multipack.py) walks the
// rows in order and opens a bin whenever the next row does not fit; no rows-per-bin limit.
TEST(Packing, SequentialIsNextFitInOrder) {
  std::vector<int64_t> lengths = {700, 300, 1024, 5, 900, 124, 1000, 48, 512, 512};
  std::vector<size_t> order(lengths.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  PackingOptions opt{1024, 1, 100000, true};  // max_per_bin 1 is ignored, as Axolotl's sequential path does
  const std::vector<std::vector<size_t>> want = {{0, 1}, {2}, {3, 4}, {5}, {6}, {7, 8}, {9}};
  EXPECT_EQ(pack_rows(lengths, order, opt), want);
  const std::vector<size_t> reversed(order.rbegin(), order.rend());
  const std::vector<std::vector<size_t>> want_reversed = {{9, 8}, {7}, {6}, {5, 4}, {3}, {2}, {1, 0}};
  EXPECT_EQ(pack_rows(lengths, reversed, opt), want_reversed);
  EXPECT_THROW(pack_rows({200}, {0}, {100, 3, 10, true}), Error);
}

TEST(Batches, SequentialPackingKeepsDatasetOrderWithoutShuffling) {
  RowStore rows = make_rows(40, 3, 60);
  BatchOptions opt;
  opt.sequence_len = 128;
  opt.micro_batch_size = 1;
  opt.sample_packing = true;
  opt.sequential_packing = true;
  opt.shuffle = false;  // curriculum_sampling
  BatchLoader loader(rows, opt);
  // Non-padding tokens of every packed row, step by step, are the dataset's rows back to back, and
  // each bin is closed only when the next row does not fit (next-fit).
  std::vector<int32_t> packed, want;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = rows.row(i);
    want.insert(want.end(), r.input_ids.begin(), r.input_ids.end());
  }
  int64_t bins = 0, used_before = -1;
  for (int64_t step = 0; step < loader.steps_in_epoch(0); ++step) {
    for (const Batch& b : loader.step(0, step).micro) {
      for (int64_t row = 0; row < b.rows; ++row, ++bins) {
        int64_t used = 0;
        for (int64_t t = 0; t < b.seq_len; ++t) {
          const size_t at = static_cast<size_t>(row * b.seq_len + t);
          if (b.segment_ids[at] == 0) continue;
          packed.push_back(b.input_ids[at]);
          ++used;
        }
        if (used_before >= 0) {  // the row that opened this bin did not fit the previous one
          const size_t first = packed.size() - static_cast<size_t>(used);
          size_t len = 1;
          while (first + len < packed.size() && b.segment_ids[static_cast<size_t>(row * b.seq_len) + len] == 1) ++len;
          EXPECT_GT(used_before + static_cast<int64_t>(len), 128) << "bin " << bins << " opened early";
        }
        used_before = used;
      }
    }
  }
  EXPECT_EQ(packed, want);
}

TEST(Batches, PackedRowsHavePositionsSegmentsAndMaskedFirstLabels) {
  RowStore rows = make_rows(200, 3, 60);
  BatchOptions opt;
  opt.sequence_len = 128;
  opt.micro_batch_size = 2;
  opt.sample_packing = true;
  opt.pad_id = 0;
  BatchLoader loader(rows, opt);
  StepBatch s = loader.step(0, 0);
  ASSERT_EQ(s.micro.size(), 1u);
  const Batch& b = s.micro[0];
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.seq_len, 128);
  int64_t trained = 0;
  for (int64_t r = 0; r < b.rows; ++r) {
    for (int64_t t = 0; t < b.seq_len; ++t) {
      size_t k = static_cast<size_t>(r * b.seq_len + t);
      if (b.segment_ids[k] == 0) {
        EXPECT_EQ(b.labels[k], kIgnoreIndex);  // padding
        EXPECT_EQ(b.input_ids[k], 0);
        continue;
      }
      bool starts = t == 0 || b.segment_ids[k - 1] != b.segment_ids[k];
      EXPECT_EQ(b.position_ids[k] == 0, starts);
      if (starts) {
        EXPECT_EQ(b.labels[k], kIgnoreIndex);
      }
      if (t > 0 && !starts) {
        EXPECT_EQ(b.position_ids[k], b.position_ids[k - 1] + 1);
      }
      if (t > 0 && b.segment_ids[k - 1] != 0) {
        EXPECT_GE(b.segment_ids[k], b.segment_ids[k - 1]);
      }
      trained += b.labels[k] != kIgnoreIndex;
    }
  }
  EXPECT_EQ(trained, b.trained_tokens);
  EXPECT_EQ(s.trained_tokens, b.trained_tokens);
  EXPECT_GT(loader.efficiency(0), 0.9);
}

// The sum of trained tokens over an epoch is the same packed or not, for any accumulation split:
// the loss denominator does not depend on how rows are grouped.
TEST(Batches, TrainedTokenCountIsInvariantToPackingAndAccumulation) {
  RowStore rows = make_rows(97, 2, 50);
  int64_t expected = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto r = rows.row(i);
    for (size_t t = 1; t < r.labels.size(); ++t) expected += r.labels[t] != kIgnoreIndex;  // shifted targets
  }
  for (bool packing : {false, true}) {
    for (int mbs : {1, 3}) {
      for (int ga : {1, 4}) {
        BatchOptions opt;
        opt.sequence_len = 64;
        opt.micro_batch_size = mbs;
        opt.gradient_accumulation_steps = ga;
        opt.sample_packing = packing;
        opt.max_per_bin = 1000;
        BatchLoader loader(rows, opt);
        int64_t total = 0, samples = 0;
        for (int64_t i = 0; i < loader.steps_in_epoch(0); ++i) {
          auto s = loader.step(0, i);
          int64_t sum = 0;
          for (const auto& m : s.micro) {
            sum += m.trained_tokens;
            samples += m.samples;
          }
          EXPECT_EQ(sum, s.trained_tokens);
          total += s.trained_tokens;
        }
        if (!packing || mbs == 1) {  // packed with mbs > 1 drops the last partial batch (drop_last)
          EXPECT_EQ(samples, 97) << packing << mbs << ga;
          EXPECT_EQ(total, expected) << packing << mbs << ga;
        }
      }
    }
  }
}

TEST(Batches, UnpackedPadsToMultipleOf64OrSequenceLen) {
  RowStore rows = make_rows(10, 5, 70);
  BatchOptions opt;
  opt.sequence_len = 100;
  opt.micro_batch_size = 4;
  opt.pad_id = 3;
  BatchLoader loader(rows, opt);
  auto b = loader.step(0, 0).micro[0];
  EXPECT_EQ(b.rows, 4);
  EXPECT_TRUE(b.seq_len == 64 || b.seq_len == 100) << b.seq_len;
  opt.pad_to_sequence_len = true;
  BatchLoader padded(rows, opt);
  EXPECT_EQ(padded.step(0, 0).micro[0].seq_len, 100);
  EXPECT_EQ(padded.steps_in_epoch(0), 3);  // 10 rows, 4 per batch, last partial kept
}

TEST(Batches, OrderIsAFunctionOfSeedAndEpochAndCursorResumes) {
  RowStore rows = make_rows(50, 4, 30);
  BatchOptions opt;
  opt.sequence_len = 64;
  opt.micro_batch_size = 2;
  opt.gradient_accumulation_steps = 2;
  BatchLoader a(rows, opt), b(rows, opt);
  EXPECT_EQ(a.step(1, 3).micro[0].input_ids, b.step(1, 3).micro[0].input_ids);
  EXPECT_NE(a.step(0, 0).micro[0].input_ids, a.step(1, 0).micro[0].input_ids);
  opt.seed = 43;
  BatchLoader c(rows, opt);
  EXPECT_NE(a.step(0, 0).micro[0].input_ids, c.step(0, 0).micro[0].input_ids);

  // Run 20 steps straight; run 7, save the cursor, resume a fresh loader there: same batches.
  BatchLoader straight(rows, {64, 2, 2, true, false, 0, 42});
  std::vector<std::vector<int32_t>> seq;
  for (int i = 0; i < 20; ++i) seq.push_back(straight.next().micro[0].input_ids);
  BatchLoader first(rows, {64, 2, 2, true, false, 0, 42});
  for (int i = 0; i < 7; ++i) first.next();
  Cursor saved = first.cursor();
  BatchLoader resumed(rows, {64, 2, 2, true, false, 0, 42});
  resumed.seek(saved);
  for (int i = 7; i < 20; ++i) EXPECT_EQ(resumed.next().micro[0].input_ids, seq[i]) << i;
  EXPECT_GE(straight.cursor().epoch, 1);  // crossed into the next epoch
}

TEST(RowStore, SavesAndMapsBitmapAndInt32Labels) {
  testing::TempDir dir;
  RowStore s = make_rows(30, 1, 20);
  ASSERT_TRUE(s.bitmap_labels());
  s.save((dir / "a.bin").string());
  RowStore m = RowStore::load((dir / "a.bin").string());
  ASSERT_EQ(m.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(m.row(i).input_ids, s.row(i).input_ids);
    EXPECT_EQ(m.row(i).labels, s.row(i).labels);
  }
  s.append({{5, 6, 7}, {-100, 9, 7}});  // label 9 != token 6: switches to int32 labels
  EXPECT_FALSE(s.bitmap_labels());
  s.save((dir / "b.bin").string());
  RowStore m2 = RowStore::load((dir / "b.bin").string());
  EXPECT_EQ(m2.row(30).labels, (std::vector<int32_t>{-100, 9, 7}));
  EXPECT_EQ(m2.row(3).labels, s.row(3).labels);
  testing::write_file(dir / "c.bin", "AXROWS01 truncated");
  EXPECT_THROW(RowStore::load((dir / "c.bin").string()), IoError);
  EXPECT_THROW(RowStore::load((dir / "missing.bin").string()), IoError);
}

}  // namespace
}  // namespace axolotl::data
