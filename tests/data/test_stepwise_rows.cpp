// stepwise_supervised rows (data/stepwise_rows.cpp): prompt and steps tokenized alone, the separator after
// every step, each step's label on its last token, BOS only where the tokenizer has one, max_completion_length
// and sequence_len cuts, train_on_last_step_only. The Qwen case is the example in TRL's
// PRMTrainer.tokenize_row docstring (Qwen2.5's vocabulary, which Qwen3's tokenizer shares for plain text).
#include <gtest/gtest.h>

#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

using testing::dataset_from_json;

const nlohmann::json kRecord = {{"prompt", "Which number is larger, 9.8 or 9.11?"},
                                {"completions", {"11 is greater than 8.", "Hence, 9.11 > 9.8."}},
                                {"labels", {true, false}}};

TokenizedRow encode_one(const RowEncoder& enc, const nlohmann::json& record) {
  std::vector<TokenizedRow> rows;
  enc.encode(record, rows);
  EXPECT_EQ(rows.size(), 1u);
  return rows.at(0);
}

TEST(StepwiseRows, MatchTrlsTokenizeRowExample) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  ASSERT_LT(tok->bos_id(), 0);  // Qwen: no BOS token, so none is added
  config::DataConfig data;
  data.sequence_len = 2048;
  const RowEncoder enc(dataset_from_json({{"type", "stepwise_supervised"}}), data, *tok);
  const TokenizedRow row = encode_one(enc, kRecord);
  const std::vector<int32_t> want = {23085, 1372, 374, 8131, 11, 220, 24, 13, 23, 476, 220, 24, 13, 16, 16, 30, 16, 16, 374, 7046,
                                     1091, 220, 23, 13, 198, 39, 763, 11, 220, 24, 13, 16, 16, 861, 220, 24, 13, 23, 13, 198};
  EXPECT_EQ(row.input_ids, want);
  std::vector<int32_t> labels(want.size(), kIgnoreIndex);
  labels[16 + 8] = 1;   // the first step's separator ("\n" = 198)
  labels[16 + 23] = 0;  // the second's
  EXPECT_EQ(row.labels, labels);
}

TEST(StepwiseRows, OptionsCutAndLabel) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  config::DataConfig data;
  data.sequence_len = 2048;
  auto ds = dataset_from_json({{"type", "stepwise_supervised"}});
  ds.train_on_last_step_only = true;
  TokenizedRow row = encode_one(RowEncoder(ds, data, *tok), kRecord);
  EXPECT_EQ(row.labels[16 + 8], kIgnoreIndex);  // only the last step is trained
  EXPECT_EQ(row.labels[16 + 23], 0);
  ds.train_on_last_step_only = false;
  ds.max_completion_length = 10;  // the joined steps (labels too) cut before the prompt is added
  row = encode_one(RowEncoder(ds, data, *tok), kRecord);
  EXPECT_EQ(row.input_ids.size(), 26u);
  EXPECT_EQ(row.labels[24], 1);
  EXPECT_EQ(row.labels[25], kIgnoreIndex);
  ds.max_completion_length.reset();
  ds.step_separator = " ки";  // Math-Shepherd's step tag
  row = encode_one(RowEncoder(ds, data, *tok), kRecord);
  const auto tag = tok->encode(" ки", false, false);
  ASSERT_FALSE(tag.empty());
  EXPECT_EQ(row.input_ids.back(), tag.back());
  EXPECT_EQ(row.labels.back(), 0);
  data.sequence_len = 20;  // the whole row cut at sequence_len
  row = encode_one(RowEncoder(dataset_from_json({{"type", "stepwise_supervised"}}), data, *tok), kRecord);
  EXPECT_EQ(row.input_ids.size(), 20u);
  EXPECT_EQ(row.labels.size(), 20u);
}

TEST(StepwiseRows, BosWhereTheTokenizerHasOne) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama3");
  ASSERT_GE(tok->bos_id(), 0);
  config::DataConfig data;
  data.sequence_len = 2048;
  const TokenizedRow row = encode_one(RowEncoder(dataset_from_json({{"type", "stepwise_supervised"}}), data, *tok),
                                      {{"prompt", "Q"}, {"completions", {"a", "b"}}, {"labels", {1, 0}}});
  std::vector<int32_t> want = {tok->bos_id()};
  for (const char* piece : {"Q", "a", "\n", "b", "\n"}) {
    const auto ids = tok->encode(piece, false, false);
    want.insert(want.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(row.input_ids, want);
  EXPECT_EQ(row.labels.back(), 0);
  EXPECT_EQ(row.labels.front(), kIgnoreIndex);
}

TEST(StepwiseRows, BadRowsAreNamed) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  config::DataConfig data;
  const RowEncoder enc(dataset_from_json({{"type", "stepwise_supervised"}}), data, *tok);
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"completions", {"a"}}, {"labels", {true}}}, "prompt"},
      {{{"prompt", "p"}, {"labels", {true}}}, "completions"},
      {{{"prompt", "p"}, {"completions", {"a"}}}, "labels"},
      {{{"prompt", "p"}, {"completions", {"a", "b"}}, {"labels", {true}}}, "labels"},
      {{{"prompt", "p"}, {"completions", {"a"}}, {"labels", {"yes"}}}, "labels[0]"},
      {{{"prompt", "p"}, {"completions", {3}}, {"labels", {true}}}, "completions[0]"},
  };
  for (const auto& [record, key] : cases) {
    std::vector<TokenizedRow> rows;
    try {
      enc.encode(record, rows);
      ADD_FAILURE() << record.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.diagnostic().key, key) << e.what();
    }
  }
}

}  // namespace
}  // namespace axolotl::data
