// KTO data: each KTO strategy's strings against Axolotl's f-strings (prompt_strategies/kto/chatml.py,
// llama3.py) and the row's label, TRL 1.8's KTO tokenization (EOS appended once, completion =
// tok(prompt + completion) after the prompt's tokens), the stored row and its collation into the
// examples plus the KL rows TRL builds (prompt i with the completion before it in its per-device batch).
#include <gtest/gtest.h>

#include "axolotl/data/batch_loader.h"
#include "axolotl/data/kto_strategy.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

using nlohmann::json;

const char* kChatmlUser = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";
const char* kChatmlSystem = "<|im_start|>system\nBe brief.<|im_end|>\n";
const char* kLlama3User =
    "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
const char* kLlama3System = "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>";

void expect_text(const KtoText& t, const std::string& prompt, const std::string& completion, bool desirable) {
  EXPECT_EQ(t.prompt, prompt);
  EXPECT_EQ(t.completion, completion);
  EXPECT_EQ(t.desirable, desirable);
}

TEST(KtoStrategy, ChatmlVariantsRenderAxolotlsStrings) {
  const json argilla = {{"system", "Be brief."}, {"instruction", "What is 2+2?"}, {"completion", "4"}, {"label", true}};
  expect_text(render_kto("chatml.argilla", argilla), std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>", true);
  json no_system = argilla;
  no_system["system"] = nullptr;  // falsy: no system turn
  no_system["label"] = false;
  expect_text(render_kto("chatml.argilla", no_system), kChatmlUser, "4<|im_end|>", false);
  expect_text(render_kto("chatml.intel", {{"question", "What is 2+2?"}, {"completion", "4"}, {"label", 1}}), kChatmlUser,
              "4<|im_end|>", true);
  expect_text(render_kto("chatml.prompt_pairs", {{"prompt", "What is 2+2?"}, {"completion", "4"}, {"label", 0}}),
              kChatmlUser, "4<|im_end|>", false);
  expect_text(render_kto("chatml.ultra", {{"system", "Be brief."}, {"prompt", "What is 2+2?"}, {"completion", "4"},
                                          {"label", true}}),
              std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>", true);
  // argilla_chat: completion = [user, assistant]; no system turn even when the row has one.
  const json chat = {{"completion", json::array({{{"role", "user"}, {"content", "What is 2+2?"}},
                                                 {{"role", "assistant"}, {"content", "4"}}})},
                     {"system", "ignored"}, {"label", false}};
  expect_text(render_kto("chatml.argilla_chat", chat), kChatmlUser, "4<|im_end|>", false);
}

TEST(KtoStrategy, Llama3VariantsRenderAxolotlsStrings) {
  const json ultra = {{"system", "Be brief."}, {"prompt", "What is 2+2?"}, {"completion", "4"}, {"label", true}};
  expect_text(render_kto("llama3.ultra", ultra), std::string(kLlama3System) + kLlama3User, "4<|eot_id|>", true);
  expect_text(render_kto("llama3.argilla", {{"instruction", "What is 2+2?"}, {"completion", "4"}, {"label", false}}),
              kLlama3User, "4<|eot_id|>", false);
}

// user_defined.default (a `type:` map under rl: kto): the strings Axolotl's kto/user_defined.py
// transform_fn returns for the same settings and rows (run with python3 on the mirror's file).
TEST(KtoStrategy, UserDefinedFormatsRenderAxolotlsStrings) {
  UserDefinedKto u;
  u.field_prompt = "q";
  u.field_completion = "a";
  u.field_label = "ok";
  u.prompt_format = "[{system}] Q: {prompt}\nA:";
  u.completion_format = " {completion}";
  expect_text(render_kto("user_defined.default", {{"q", "2+2?"}, {"a", "4"}, {"ok", true}, {"system", "Be brief."}}, u),
              "[Be brief.] Q: 2+2?\nA:", " 4", true);
  // {system} with an empty system field: Python formats with prompt= only and raises KeyError
  EXPECT_THROW(render_kto("user_defined.default", {{"q", "2+2?"}, {"a", "4"}, {"ok", false}, {"system", ""}}, u), Error);
  // Axolotl's defaults: prompt / completion / label, no turn markers
  expect_text(render_kto("user_defined.default", {{"prompt", "Hi"}, {"completion", "Yo"}, {"label", 0}}), "Hi", "Yo", false);
  EXPECT_THROW(render_kto("user_defined.default", {{"prompt", "Hi"}, {"label", true}}), Error);  // no completion
  EXPECT_TRUE(is_kto_type("user_defined.default"));
}

TEST(KtoStrategy, ErrorsNameTheFieldTheLabelAndTheType) {
  auto message = [](const std::string& type, const json& row) {
    try {
      render_kto(type, row);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("chatml.argilla", {{"completion", "4"}, {"label", true}}).find("instruction"), std::string::npos);
  EXPECT_NE(message("chatml.ultra", {{"prompt", "q"}, {"completion", "4"}}).find("label"), std::string::npos);
  EXPECT_NE(message("chatml.ultra", {{"prompt", "q"}, {"completion", "4"}, {"label", "yes"}}).find("label"),
            std::string::npos);
  EXPECT_NE(message("chatml.argilla_chat", {{"completion", "4"}, {"label", true}}).find("completion[0]"), std::string::npos);
  const std::string dpo = message("chatml.default", {{"prompt", "q"}});
  EXPECT_NE(dpo.find("unknown KTO dataset type"), std::string::npos) << dpo;
  EXPECT_NE(dpo.find("label per row"), std::string::npos) << dpo;
  EXPECT_TRUE(is_kto_type("llama3.argilla_chat"));
  EXPECT_FALSE(is_kto_type("chatml.icr"));
}

TEST(KtoRows, StoredRowSpansAndErrors) {
  const TokenizedRow row = kto_row({{1, 10, 11}, {20, 2}, false});
  EXPECT_EQ(row.input_ids, (std::vector<int32_t>{0, 3, 1, 10, 11, 20, 2}));
  const int32_t x = kIgnoreIndex;
  EXPECT_EQ(row.labels, (std::vector<int32_t>{x, x, x, x, x, 20, 2}));
  const KtoSpans s = kto_spans(row.input_ids.data(), 7);
  EXPECT_FALSE(s.desirable);
  EXPECT_EQ(s.prompt_length, 3);
  EXPECT_EQ(s.completion_begin, 5);
  EXPECT_EQ(s.completion_length, 2);
  const std::vector<int32_t> pair_row = {3, 1, 10, 11, 1, 12};  // a DPO pair row: header 3 is no label
  EXPECT_THROW(kto_spans(pair_row.data(), 6), Error);
  const std::vector<int32_t> too_long = {1, 9, 1, 2};
  EXPECT_THROW(kto_spans(too_long.data(), 4), Error);
}

TEST(KtoRows, CollationAddsKlRowsRotatedWithinEachGroup) {
  // Five examples in groups of 2 (the per-device micro-batch): KL completions come from the previous
  // example of the same group (TRL: completions[-1:] + completions[:-1] per batch of the dataset map).
  RowStore store;
  store.append(kto_row({{1, 10}, {20, 2}, true}));
  store.append(kto_row({{1, 11, 11}, {21, 21, 21, 2}, false}));
  store.append(kto_row({{1, 12}, {22, 2}, true}));
  store.append(kto_row({{1, 13}, {23, 2}, true}));
  store.append(kto_row({{1, 14}, {24, 2}, false}));
  BatchOptions o;
  o.micro_batch_size = 4;  // e.g. 2 ranks × 2
  o.kl_group = 2;
  o.shuffle = false;
  o.preference_pairs = true;
  o.kto_rows = true;
  o.sequence_len = 6;  // cuts example 1 (3 + 4 tokens) to 6
  o.pad_id = 0;
  BatchLoader loader(store, o);
  ASSERT_EQ(loader.steps_in_epoch(0), 2);
  const Batch m = loader.step(0, 0).micro.at(0);
  EXPECT_EQ(m.rows, 8);
  EXPECT_EQ(m.samples, 4);
  EXPECT_EQ(m.desirable, (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(m.seq_len, 6);
  const std::vector<int32_t> ids = {
      1, 10, 20, 2, 0, 0,        1, 11, 11, 21, 21, 21,   1, 12, 22, 2, 0, 0,   1, 13, 23, 2, 0, 0,
      1, 10, 21, 21, 21, 2,      1, 11, 11, 20, 2, 0,     1, 12, 23, 2, 0, 0,   1, 13, 22, 2, 0, 0};
  EXPECT_EQ(m.input_ids, ids);
  const int32_t x = kIgnoreIndex;
  const std::vector<int32_t> labels_kl1 = {x, x, x, 20, 2, x};
  EXPECT_EQ(std::vector<int32_t>(m.labels.begin() + 30, m.labels.begin() + 36), labels_kl1);
  EXPECT_EQ(m.tokens, 4 + 6 + 4 + 4);  // the examples only
  EXPECT_EQ(m.trained_tokens, 2 + 3 + 2 + 2);
  // The last group holds one example: its KL row is its own completion (a rotation of one).
  const Batch last = loader.step(0, 1).micro.at(0);
  EXPECT_EQ(last.rows, 2);
  EXPECT_EQ(last.input_ids, (std::vector<int32_t>{1, 14, 24, 2, 1, 14, 24, 2}));
}

class KtoTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent";
    tok_ = testing::shared_tokenizer("models/stories260K/tokenizer.model");
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(KtoTokens, CompletionFollowsThePromptsTokensAndEndsInOneEos) {
  const KtoExample e = tokenize_kto(*tok_, {"Once upon a time", " there was a cat.", true});
  EXPECT_EQ(e.prompt, tok_->encode("Once upon a time"));
  const std::vector<int32_t> full = tok_->encode("Once upon a time there was a cat.</s>");
  EXPECT_EQ(e.completion, std::vector<int32_t>(full.begin() + static_cast<long>(e.prompt.size()), full.end()));
  ASSERT_FALSE(e.completion.empty());
  EXPECT_EQ(e.completion.back(), tok_->eos_id());
  const KtoExample once = tokenize_kto(*tok_, {"Once upon a time", " the end</s>", false});
  int eos = 0;
  for (int32_t id : once.completion) eos += id == tok_->eos_id();
  EXPECT_EQ(eos, 1) << "an EOS already present is not appended again";
  EXPECT_FALSE(once.desirable);
}


// excess_length_strategy: truncate for KTO rows: the completion is cut to sequence_len − prompt tokens
// (each tokenized alone without special tokens) and decoded back, as Axolotl's
// _truncate_long_sequences_rl; drop gives no row. Through a user_defined `type:` map.
TEST_F(KtoTokens, TruncateCutsALongCompletionAsAxolotl) {
  config::DatasetConfig ds;
  ds.format = config::DatasetFormat::kPreference;
  ds.type_name = "user_defined.default";
  ds.user_defined = {{"field_completion", "reply"}, {"completion_format", "{completion}!"}};
  const nlohmann::json record = {{"prompt", "Once upon a time"},
                                 {"reply", " there was a little girl named Lily who liked to play outside"},
                                 {"label", false}};
  auto n = [&](const std::string& t) { return static_cast<int>(tok_->encode(t, false, false).size()); };
  const int prompt = n("Once upon a time");
  config::DataConfig data;
  data.rl = "kto";
  data.sequence_len = prompt + 4;
  std::vector<TokenizedRow> rows;
  RowEncoder(ds, data, *tok_).encode(record, rows);
  EXPECT_TRUE(rows.empty()) << "drop: the row does not fit";
  data.excess_length_strategy = config::ExcessLength::kTruncate;
  RowEncoder(ds, data, *tok_).encode(record, rows);
  ASSERT_EQ(rows.size(), 1u);
  std::vector<int32_t> cut = tok_->encode(record["reply"].get<std::string>() + "!", false, false);
  cut.resize(4);
  const KtoText want{"Once upon a time", tok_->decode(cut, false), false};
  EXPECT_EQ(rows[0].input_ids, kto_row(tokenize_kto(*tok_, want)).input_ids);
  EXPECT_EQ(rows[0].input_ids[0], 0) << "undesirable";
}

// excess_length_strategy: raise for KTO rows: prompt + completion over sequence_len throws with both
// lengths (Axolotl's _raise_on_long_sequences); a row that fits is encoded.
TEST_F(KtoTokens, RaiseNamesTheLengthsOfARowThatDoesNotFit) {
  config::DatasetConfig ds;
  ds.format = config::DatasetFormat::kPreference;
  ds.type_name = "user_defined.default";
  const nlohmann::json record = {{"prompt", "Once upon a time"},
                                 {"completion", " there was a little girl named Lily who liked to play outside"},
                                 {"label", true}};
  auto n = [&](const std::string& t) { return static_cast<int>(tok_->encode(t, false, false).size()); };
  const int prompt = n("Once upon a time"), completion = n(record["completion"]);
  config::DataConfig data;
  data.rl = "kto";
  data.excess_length_strategy = config::ExcessLength::kRaise;
  data.sequence_len = prompt + completion - 1;
  std::vector<TokenizedRow> rows;
  try {
    RowEncoder(ds, data, *tok_).encode(record, rows);
    FAIL() << "expected ExcessLengthError";
  } catch (const ExcessLengthError& e) {
    EXPECT_NE(e.diagnostic().found.find("prompt " + std::to_string(prompt) + " + completion " +
                                        std::to_string(completion) + " = " + std::to_string(prompt + completion)),
              std::string::npos) << e.diagnostic().found;
  }
  data.sequence_len = prompt + completion;
  RowEncoder(ds, data, *tok_).encode(record, rows);
  EXPECT_EQ(rows.size(), 1u);
}

}  // namespace
}  // namespace axolotl::data
