// bradley_terry.chat_template rows (data/reward_pairs.cpp): each of chosen and rejected is the whole
// conversation [system when non-empty, user = input, assistant = the reply] as the chat strategy
// tokenizes it (the same ids as a chat_template row of those messages), cut at sequence_len, stored as
// one pair row; a missing column is named.
#include <gtest/gtest.h>

#include "axolotl/data/preference_rows.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

using testing::dataset_from_json;

struct Sequences {
  std::vector<int32_t> chosen, rejected;
};

Sequences encode(const RowEncoder& enc, const nlohmann::json& record) {
  std::vector<TokenizedRow> rows;
  enc.encode(record, rows);
  EXPECT_EQ(rows.size(), 1u);
  const auto& ids = rows.at(0).input_ids;
  const PairSpans s = pair_spans(ids.data(), static_cast<int64_t>(ids.size()));
  Sequences out;
  out.chosen.assign(ids.begin() + s.chosen_begin, ids.begin() + s.chosen_begin + s.chosen_length);
  out.rejected.assign(ids.begin() + s.rejected_begin, ids.begin() + s.rejected_begin + s.rejected_length);
  // Every token is labelled: a reward model scores whole sequences (and the builder keeps the row).
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(rows[0].labels[i], ids[i]);
  return out;
}

TEST(RewardPairs, EachSequenceIsTheWholeConversation) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  config::DataConfig data;
  data.sequence_len = 256;
  const RowEncoder enc(dataset_from_json({{"type", "bradley_terry.chat_template"}, {"chat_template", "chatml"}}), data, *tok);
  const auto s = encode(enc, {{"system", "Be brief."}, {"input", "Hi"}, {"chosen", "Hello"}, {"rejected", "Go away"}});
  const std::string head = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(tok->decode(s.chosen, false), head + "Hello<|im_end|>\n");
  EXPECT_EQ(tok->decode(s.rejected, false), head + "Go away<|im_end|>\n");
  EXPECT_EQ(s.chosen, tok->encode(head + "Hello<|im_end|>\n", false, false));
  // The same ids as a chat_template row of those messages.
  const RowEncoder chat(dataset_from_json({{"type", "chat_template"}, {"chat_template", "chatml"}}), data, *tok);
  std::vector<TokenizedRow> rows;
  chat.encode(nlohmann::json{{"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}},
                                           {{"role", "assistant"}, {"content", "Hello"}}}}},
              rows);
  EXPECT_EQ(s.chosen, rows.at(0).input_ids);
  // An empty (or absent) system column: no system turn, as Axolotl's `if prompt["system"]`.
  for (const auto& record : {nlohmann::json{{"system", ""}, {"input", "Hi"}, {"chosen", "Hello"}, {"rejected", "No"}},
                             nlohmann::json{{"input", "Hi"}, {"chosen", "Hello"}, {"rejected", "No"}}}) {
    EXPECT_EQ(tok->decode(encode(enc, record).chosen, false),
              "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n");
  }
}

TEST(RewardPairs, SequencesAreCutAtSequenceLenAndMissingColumnsNamed) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  config::DataConfig data;
  data.sequence_len = 16;
  const RowEncoder enc(dataset_from_json({{"type", "bradley_terry.chat_template"}, {"chat_template", "chatml"}}), data, *tok);
  const std::string longer = "one two three four five six seven eight nine ten eleven twelve";
  const auto s = encode(enc, {{"input", "Count"}, {"chosen", longer}, {"rejected", "no"}});
  EXPECT_EQ(s.chosen.size(), 16u);
  EXPECT_LT(s.rejected.size(), 16u);
  const std::string full = "<|im_start|>user\nCount<|im_end|>\n<|im_start|>assistant\n" + longer + "<|im_end|>\n";
  const auto all = tok->encode(full, false, false);
  EXPECT_EQ(s.chosen, std::vector<int32_t>(all.begin(), all.begin() + 16));  // the first sequence_len tokens
  for (const char* column : {"input", "chosen", "rejected"}) {
    nlohmann::json record = {{"input", "a"}, {"chosen", "b"}, {"rejected", "c"}};
    record.erase(column);
    std::vector<TokenizedRow> rows;
    try {
      enc.encode(record, rows);
      ADD_FAILURE() << column;
    } catch (const Error& e) {
      EXPECT_EQ(e.diagnostic().key, column) << e.what();
    }
  }
}

}  // namespace
}  // namespace axolotl::data
