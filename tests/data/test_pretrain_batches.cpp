// Streaming-pretraining steps (pretrain_batches.h): micro-batches of full rows whose documents are
// separate segments (positions from 0, no loss on a document's first token) with
// pretrain_multipack_attn, one causal sequence without; state()/restore() continue exactly and
// refuse another file list; pretrain_files() lists folders, data_files and a Hub dataset (fake Hub
// on 127.0.0.1: name and split narrow the files; offline with an empty cache is a clear error).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../io/test_hub_fake.h"
#include "axolotl/data/pretrain_batches.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "byte_tokenizer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;

PretrainBatches batches(const fs::path& file, bool isolate, int rows = 2, int accumulation = 1, int seq = 8) {
  static ByteTokenizer tok;
  StreamOptions so{seq, "text", true, 0};
  return PretrainBatches({file.string()}, tok, so, {rows, accumulation, isolate});
}

TEST(PretrainBatches, DocumentsAreSegmentsWithMultipackAttn) {
  testing::TempDir dir;
  testing::write_file(dir / "a.txt", "abc\nde\nfghijkl\n");  // 5, 4, 9 tokens with bos and eos
  auto b = batches(dir / "a.txt", true);
  const StepBatch sb = b.next();
  ASSERT_EQ(sb.micro.size(), 1u);
  const Batch& m = sb.micro[0];
  ASSERT_EQ(m.rows, 2);
  ASSERT_EQ(m.seq_len, 8);
  // row 0: abc (5) + de (3 of 4); row 1: rest of de (1) + fghijkl (7 of 9)
  EXPECT_EQ(std::vector<int32_t>(m.segment_ids.begin(), m.segment_ids.begin() + 8),
            (std::vector<int32_t>{1, 1, 1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(std::vector<int32_t>(m.position_ids.begin(), m.position_ids.begin() + 8),
            (std::vector<int32_t>{0, 1, 2, 3, 4, 0, 1, 2}));
  EXPECT_EQ(std::vector<int32_t>(m.segment_ids.begin() + 8, m.segment_ids.end()),
            (std::vector<int32_t>{1, 2, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(m.labels[0], kIgnoreIndex);
  EXPECT_EQ(m.labels[5], kIgnoreIndex);
  EXPECT_EQ(m.labels[8], kIgnoreIndex) << "a continued document has no predecessor in this row";
  EXPECT_EQ(m.labels[9], kIgnoreIndex);
  EXPECT_EQ(m.labels[1], m.input_ids[1]);
  EXPECT_EQ(m.trained_tokens, 16 - 4);
  EXPECT_EQ(m.tokens, 16);
  EXPECT_EQ(m.samples, 4);
  EXPECT_EQ(sb.trained_tokens, m.trained_tokens);
}

TEST(PretrainBatches, OneCausalSequencePerRowWithoutIsolation) {
  testing::TempDir dir;
  testing::write_file(dir / "a.txt", "abc\nde\nfghijkl\n");
  auto b = batches(dir / "a.txt", false, 1, 3);
  const StepBatch sb = b.next();
  ASSERT_EQ(sb.micro.size(), 3u);
  for (const auto& m : sb.micro) {
    for (int t = 0; t < 8; ++t) {
      EXPECT_EQ(m.segment_ids[t], 1);
      EXPECT_EQ(m.position_ids[t], t);
      EXPECT_EQ(m.labels[t], t == 0 ? kIgnoreIndex : m.input_ids[t]);
    }
    EXPECT_EQ(m.trained_tokens, 7);
  }
  EXPECT_EQ(sb.trained_tokens, 21);
  EXPECT_EQ(b.next().index, 1);
}

TEST(PretrainBatches, RestoreContinuesExactlyAndRefusesOtherFiles) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 50; ++i) text += std::string(static_cast<size_t>(1 + (i * 13) % 17), static_cast<char>('a' + i % 26)) + "\n";
  testing::write_file(dir / "c.txt", text);
  testing::write_file(dir / "d.txt", text);
  auto straight = batches(dir / "c.txt", true, 3, 2);
  std::vector<StepBatch> steps;
  nlohmann::json saved;
  for (int i = 0; i < 12; ++i) {
    steps.push_back(straight.next());
    if (i == 4) saved = nlohmann::json::parse(straight.state().dump());
  }
  auto resumed = batches(dir / "c.txt", true, 3, 2);
  resumed.restore(saved);
  for (int i = 5; i < 12; ++i) {
    const StepBatch sb = resumed.next();
    EXPECT_EQ(sb.index, i);
    for (size_t m = 0; m < sb.micro.size(); ++m) {
      EXPECT_EQ(sb.micro[m].input_ids, steps[i].micro[m].input_ids) << "step " << i;
      EXPECT_EQ(sb.micro[m].labels, steps[i].micro[m].labels) << "step " << i;
    }
  }
  auto other = batches(dir / "d.txt", true, 3, 2);
  EXPECT_THROW(other.restore(saved), Error);
  auto longer = batches(dir / "c.txt", true, 3, 2, 16);
  EXPECT_THROW(longer.restore(saved), Error);
  saved.erase("position");
  EXPECT_THROW(resumed.restore(saved), Error);
}

TEST(PretrainFiles, FoldersDataFilesAndMissingPaths) {
  testing::TempDir dir;
  fs::create_directories(dir / "corpus/sub");
  testing::write_file(dir / "corpus/b.jsonl", "{\"text\": \"x\"}\n");
  testing::write_file(dir / "corpus/a.txt", "x\n");
  testing::write_file(dir / "corpus/notes.md", "x\n");
  testing::write_file(dir / "corpus/sub/c.txt", "x\n");
  config::PretrainDatasetConfig d;
  d.path = (dir / "corpus").string();
  EXPECT_EQ(pretrain_files(d), (std::vector<std::string>{(dir / "corpus/a.txt").string(), (dir / "corpus/b.jsonl").string()}));
  d.data_files = {"sub/c.txt"};
  EXPECT_EQ(pretrain_files(d), (std::vector<std::string>{(dir / "corpus/sub/c.txt").string()}));
  d.data_files = {"nope.txt"};
  EXPECT_THROW(pretrain_files(d), IoError);
  d.data_files.clear();
  d.path = (dir / "corpus/a.txt").string();
  EXPECT_EQ(pretrain_files(d), std::vector<std::string>{d.path});
  d.path = (dir / "missing").string();
  try {
    pretrain_files(d);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(PretrainFiles, HubDatasetNameAndSplitThenOfflineWithoutCache) {
  const std::string py = testing::python();
  if (py.empty()) GTEST_SKIP() << "no python for the fake Hub";
  testing::TempDir dir;
  testing::FakeRepo repo;
  repo.type = "dataset";
  repo.id = "org/corpus";
  repo.files = {{"en/train-0.jsonl", "{\"text\": \"hello\"}\n"}, {"en/test-0.jsonl", "{\"text\": \"bye\"}\n"},
                {"de/train-0.jsonl", "{\"text\": \"hallo\"}\n"}, {"README.md", "x"}};
  testing::FakeHub hub({repo}, dir / "hub");
  testing::EnvGuard env;
  env.set("HF_ENDPOINT", hub.endpoint());
  env.set("HF_HUB_CACHE", (dir / "cache").string());
  env.unset("HF_HUB_OFFLINE");
  env.unset("TRANSFORMERS_OFFLINE");
  env.unset("HF_TOKEN");
  config::PretrainDatasetConfig d;
  d.path = "org/corpus";
  d.name = "en";
  const auto files = pretrain_files(d);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].find("en/train-0.jsonl"), std::string::npos) << files[0];
  EXPECT_EQ(testing::read_file(files[0]), repo.files["en/train-0.jsonl"]);
  d.name = "fr";
  EXPECT_THROW(pretrain_files(d), IoError);
  d.name.clear();
  d.data_files = {"../../etc/passwd"};
  EXPECT_THROW(pretrain_files(d), IoError);
  d.data_files.clear();
  env.set("HF_HUB_OFFLINE", "1");
  env.set("HF_HUB_CACHE", (dir / "empty-cache").string());
  hub.stop();
  try {
    pretrain_files(d);
    FAIL() << "offline with an empty cache found files";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("org/corpus"), std::string::npos) << m;
    EXPECT_NE(m.find("HF_HUB_OFFLINE"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace axolotl::data
