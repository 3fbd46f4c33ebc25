// Preference data: each DPO and KTO strategy's strings against Axolotl's own functions
// (prompt_strategies/{dpo,kto}/{chatml,llama3,user_defined}.py, run by
// tests/reference/preference_strategy_reference.py), TRL 1.8's tokenization rules (EOS appended once,
// completion = tok(prompt + text) after the prompt's tokens, prompt-fills-max_length rows dropped,
// keep_start cut), the stored pair row and its collation into [chosen; rejected] rows.
#include <gtest/gtest.h>

#include <set>

#include "axolotl/data/batch_loader.h"
#include "axolotl/data/preference_rows.h"
#include "axolotl/data/kto_strategy.h"
#include "axolotl/data/preference_strategy.h"
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

void expect_text(const PreferenceText& t, const std::string& prompt, const std::string& chosen, const std::string& rejected) {
  EXPECT_EQ(t.prompt, prompt);
  EXPECT_EQ(t.chosen, chosen);
  EXPECT_EQ(t.rejected, rejected);
}

TEST(PreferenceStrategy, ChatmlVariantsRenderAxolotlsStrings) {
  const json intel = {{"system", "Be brief."}, {"question", "What is 2+2?"}, {"chosen", "4"}, {"rejected", "5"}};
  expect_text(render_preference("chatml.intel", intel), std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  json no_system = intel;
  no_system["system"] = "";  // falsy: no system turn
  expect_text(render_preference("chatml.intel", no_system), kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  expect_text(render_preference("chatml.icr", {{"input", "What is 2+2?"}, {"chosen", "4"}, {"rejected", "5"}}),
              kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  expect_text(render_preference("chatml.prompt_pairs", {{"prompt", "What is 2+2?"}, {"chosen", "4"}, {"rejected", "5"}}),
              kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  const json chat = {{"chosen", json::array({{{"role", "user"}, {"content", "What is 2+2?"}}, {{"role", "assistant"}, {"content", "4"}}})},
                     {"rejected", json::array({{{"role", "user"}, {"content", "What is 2+2?"}}, {{"role", "assistant"}, {"content", "5"}}})},
                     {"system", "ignored by argilla_chat"}};
  expect_text(render_preference("chatml.argilla_chat", chat), kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  json ultra = chat;
  ultra["prompt"] = "What is 2+2?";
  ultra["system"] = "Be brief.";
  expect_text(render_preference("chatml.ultra", ultra), std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>", "5<|im_end|>");
}

// Every chatml / llama3 DPO and KTO strategy and user_defined.default on rows of its shape, against
// Axolotl's own transform_fn run on the mirror's files (tests/reference/preference_strategy_reference.py).
TEST(PreferenceStrategy, EveryStrategyRendersAxolotlsStrings) {
  const auto g = json::parse(testing::read_file(testing::source_dir() / "tests/assets/data/preference_strategies_golden.json"));
  std::set<std::string> types;
  for (const auto& c : g["cases"]) {
    const std::string type = c["type"], where = c["kind"].get<std::string>() + " " + type + " " + c["row"].dump();
    const auto& s = c["settings"];
    auto take = [&](const char* k, std::string& to) { if (s.contains(k)) to = s[k].get<std::string>(); };
    const auto& want = c["want"];
    if (c["kind"] == "dpo") {
      UserDefinedPreference u;
      for (auto [k, to] : {std::pair{"field_prompt", &u.field_prompt}, {"field_system", &u.field_system},
                           {"field_chosen", &u.field_chosen}, {"field_rejected", &u.field_rejected},
                           {"prompt_format", &u.prompt_format}, {"chosen_format", &u.chosen_format},
                           {"rejected_format", &u.rejected_format}})
        take(k, *to);
      if (want.contains("error")) {
        EXPECT_THROW(render_preference(type, c["row"], u), Error) << where;
        continue;
      }
      const PreferenceText t = render_preference(type, c["row"], u);
      EXPECT_EQ(t.prompt, want["prompt"].get<std::string>()) << where;
      EXPECT_EQ(t.chosen, want["chosen"].get<std::string>()) << where;
      EXPECT_EQ(t.rejected, want["rejected"].get<std::string>()) << where;
    } else {
      UserDefinedKto u;
      for (auto [k, to] : {std::pair{"field_prompt", &u.field_prompt}, {"field_system", &u.field_system},
                           {"field_completion", &u.field_completion}, {"field_label", &u.field_label},
                           {"prompt_format", &u.prompt_format}, {"completion_format", &u.completion_format}})
        take(k, *to);
      if (want.contains("error")) {
        EXPECT_THROW(render_kto(type, c["row"], u), Error) << where;
        continue;
      }
      const KtoText t = render_kto(type, c["row"], u);
      EXPECT_EQ(t.prompt, want["prompt"].get<std::string>()) << where;
      EXPECT_EQ(t.completion, want["completion"].get<std::string>()) << where;
      EXPECT_EQ(t.desirable, want["label"].get<bool>()) << where;
    }
    types.insert(c["kind"].get<std::string>() + " " + type);
  }
  EXPECT_EQ(types.size(), 2u * 6 + 2u * 5 + 2u) << "6 DPO and 5 KTO variants per family, and user_defined";
}

TEST(PreferenceStrategy, DefaultTakesTheFirstPresentKeys) {
  // prompt > input > question > instruction; chosen_response / rejected_response as fallbacks.
  const json r = {{"question", "What is 2+2?"}, {"instruction", "no"}, {"chosen_response", "4"}, {"rejected_response", "5"}};
  expect_text(render_preference("chatml.default", r), kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  expect_text(render_preference("chatml", r), kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  const json both = {{"input", "What is 2+2?"}, {"question", "no"}, {"chosen", "4"}, {"rejected", "5"}};
  expect_text(render_preference("llama3.default", both), kLlama3User, "4<|eot_id|>", "5<|eot_id|>");
}

TEST(PreferenceStrategy, Llama3VariantsRenderAxolotlsStrings) {
  const json intel = {{"system", "Be brief."}, {"question", "What is 2+2?"}, {"chosen", "4"}, {"rejected", "5"}};
  expect_text(render_preference("llama3.intel", intel), std::string(kLlama3System) + kLlama3User, "4<|eot_id|>", "5<|eot_id|>");
  const json pairs = {{"prompt", "What is 2+2?"}, {"chosen", "4"}, {"rejected", "5"}};
  expect_text(render_preference("llama3.prompt_pairs", pairs), kLlama3User, "4<|eot_id|>", "5<|eot_id|>");
}

TEST(PreferenceStrategy, UserDefinedFormats) {
  UserDefinedPreference u;
  u.field_prompt = "q";
  u.prompt_format = "[{system}] Q: {prompt}\nA:";
  u.chosen_format = " {chosen}";
  const json row = {{"q", "2+2?"}, {"chosen", "4"}, {"rejected", "5"}};
  expect_text(render_preference("user_defined.default", row, u), "[] Q: 2+2?\nA:", " 4", "5");
  u.prompt_format = "{{x}} {prompt}";
  EXPECT_EQ(render_preference("user_defined.default", row, u).prompt, "{x} 2+2?");
  u.prompt_format = "{nope}";
  EXPECT_THROW(render_preference("user_defined.default", row, u), Error);
}

TEST(PreferenceStrategy, ErrorsNameTheFieldAndTheRenamedStrategies) {
  try {
    render_preference("chatml.intel", {{"prompt", "x"}, {"chosen", "a"}, {"rejected", "b"}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.diagnostic().found, "no 'question'");
  }
  try {
    render_preference("chatml.argilla", json::object());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.diagnostic().hint.find("chatml.default"), std::string::npos);
  }
  EXPECT_TRUE(is_preference_type("llama3.ultra"));
  EXPECT_FALSE(is_preference_type("chatml.argilla"));
  EXPECT_TRUE(is_preference_type("chat_template.default"));
  EXPECT_FALSE(is_preference_type("chat_template.nope"));
}

TEST(PreferenceStrategy, ChatTemplateDefaultCutsTheReplyOutOfADummyConversation) {
  const ChatTemplate chatml("chatml", *named_chat_template_source("chatml"));
  const ChatTemplate llama3("llama3", *named_chat_template_source("llama3"));
  ChatPreference c;
  c.chat_template = &chatml;
  c.field_messages = "conversation";
  c.property_mappings = {{"role", "from"}, {"content", "value"}};
  c.roles = {{"user", {"human"}}, {"assistant", {"gpt", "assistant"}}, {"system", {"system"}}};
  const json row = {{"conversation", json::array({{{"from", "system"}, {"value", "Be brief."}},
                                                  {{"from", "human"}, {"value", "What is 2+2?"}}})},
                    {"chosen", {{"from", "gpt"}, {"value", "4"}}},
                    {"rejected", json::array({{{"from", "human"}, {"value", "x"}}, {{"from", "gpt"}, {"value", "5"}}})}};
  // chatml: Axolotl's template ends every turn with "<|im_end|>\n"; rstrip() removes the newline.
  expect_text(render_chat_preference(row, c), std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  c.chat_template = &llama3;
  c.vars.bos_token = "<|begin_of_text|>";
  expect_text(render_chat_preference(row, c), std::string("<|begin_of_text|>") + kLlama3System + kLlama3User,
              "4<|eot_id|>", "5<|eot_id|>");
  json plain = row;
  plain["conversation"] = "What is 2+2?";  // a string prompt is one user turn
  plain["chosen"] = "4";                   // a string reply is the assistant's
  plain["rejected"] = "5";
  c.chat_template = &chatml;
  c.roles.clear();
  c.property_mappings.clear();
  expect_text(render_chat_preference(plain, c), kChatmlUser, "4<|im_end|>", "5<|im_end|>");
  json bad = row;
  bad["conversation"][0]["from"] = "narrator";
  c.property_mappings = {{"role", "from"}, {"content", "value"}};
  EXPECT_THROW(render_chat_preference(bad, c), Error);
}

TEST(PreferenceStrategy, OrpoArgillaCutsThePromptsCharacters) {
  const ChatTemplate chatml("chatml", *named_chat_template_source("chatml"));
  ChatPreference c;
  c.chat_template = &chatml;
  const json turn_q = {{"role", "user"}, {"content", "What is 2+2?"}};
  const json row = {{"system", "Be brief."},
                    {"chosen", json::array({turn_q, {{"role", "assistant"}, {"content", "4"}}})},
                    {"rejected", json::array({turn_q, {{"role", "assistant"}, {"content", "5"}}})}};
  // No rstrip here: the template's newline after <|im_end|> stays (orpo/chat_template.py argilla).
  expect_text(render_orpo_argilla(row, c), std::string(kChatmlSystem) + kChatmlUser, "4<|im_end|>\n", "5<|im_end|>\n");
  json two = row;
  two.erase("system");
  two["chosen"] = json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "assistant"}, {"content", "b"}}, turn_q,
                               {{"role", "assistant"}, {"content", "4"}}});
  const auto t = render_orpo_argilla(two, c);
  EXPECT_EQ(t.prompt, std::string("<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n") + kChatmlUser);
  EXPECT_EQ(t.chosen, "4<|im_end|>\n");
  EXPECT_EQ(t.rejected, "5<|im_end|>\n");
  json odd = row;
  odd["chosen"].push_back(turn_q);
  EXPECT_THROW(render_orpo_argilla(odd, c), Error);
}

class PreferenceTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent";
    tok_ = testing::shared_tokenizer("models/stories260K/tokenizer.model");
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(PreferenceTokens, CompletionsFollowThePromptsTokensAndEndInOneEos) {
  const PreferenceText t{"Once upon a time", " there was a cat.", " the end</s>"};
  const auto pair = tokenize_dpo(*tok_, t, 0);
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->prompt, tok_->encode(t.prompt));
  std::vector<int32_t> full = tok_->encode(t.prompt + t.chosen + "</s>");
  EXPECT_EQ(pair->chosen, std::vector<int32_t>(full.begin() + static_cast<long>(pair->prompt.size()), full.end()));
  ASSERT_FALSE(pair->chosen.empty());
  EXPECT_EQ(pair->chosen.back(), tok_->eos_id());
  EXPECT_EQ(pair->rejected.back(), tok_->eos_id());
  int eos = 0;
  for (int32_t id : pair->rejected) eos += id == tok_->eos_id();
  EXPECT_EQ(eos, 1) << "an EOS already present is not appended again";
  EXPECT_EQ(pair->prompt.front(), tok_->bos_id());
}

TEST_F(PreferenceTokens, PromptFillingMaxLengthIsDroppedAndSequencesAreCut) {
  const PreferenceText t{"Once upon a time", " there was a cat who liked to play.", " no"};
  const auto prompt_len = static_cast<int>(tok_->encode(t.prompt).size());
  EXPECT_FALSE(tokenize_dpo(*tok_, t, prompt_len).has_value());
  const auto pair = tokenize_dpo(*tok_, t, prompt_len + 2);
  ASSERT_TRUE(pair.has_value());
  const TokenizedRow row = pair_row(*pair, prompt_len + 2);
  const PairSpans s = pair_spans(row.input_ids.data(), static_cast<int64_t>(row.input_ids.size()));
  EXPECT_EQ(s.chosen_length, prompt_len + 2);  // keep_start: cut at max_length
  EXPECT_EQ(s.rejected_length, std::min<int64_t>(prompt_len + 2, prompt_len + static_cast<int64_t>(pair->rejected.size())));
}

TEST_F(PreferenceTokens, OrpoTokenizationAddsBosAndEosAndCutsAnswers) {
  const PreferenceText t{"Once upon a time", " there was a cat.", " the end"};
  const LegacyPair p = tokenize_legacy(*tok_, t, 0);
  std::vector<int32_t> prompt = tok_->encode(t.prompt, false, false);
  prompt.insert(prompt.begin(), tok_->bos_id());
  EXPECT_EQ(p.chosen_prompt, prompt);
  EXPECT_EQ(p.rejected_prompt, prompt);
  ASSERT_FALSE(p.chosen.empty());
  EXPECT_EQ(p.chosen.back(), tok_->eos_id());
  EXPECT_EQ(p.rejected.back(), tok_->eos_id());
  const auto longer = static_cast<int>(std::max(p.chosen.size(), p.rejected.size()));
  const int max_length = static_cast<int>(prompt.size()) + longer - 1;  // one over: answers cut to max_length − longer
  const LegacyPair cut = tokenize_legacy(*tok_, t, max_length);
  EXPECT_EQ(static_cast<int>(cut.chosen.size()), std::min<int>(static_cast<int>(p.chosen.size()), max_length - longer));
  const TokenizedRow row = pair_row(p);
  const PairSpans s = pair_spans(row.input_ids.data(), static_cast<int64_t>(row.input_ids.size()));
  EXPECT_EQ(s.chosen_length, static_cast<int64_t>(prompt.size() + p.chosen.size()));
  EXPECT_EQ(row.labels[1 + prompt.size()], p.chosen[0]);
  EXPECT_EQ(row.labels[prompt.size()], kIgnoreIndex);
}

TEST(PreferenceRows, PairRowsCollateIntoChosenThenRejectedRows) {
  const PreferencePair a{{1, 10, 11}, {20, 2}, {30, 31, 32, 2}};
  const PreferencePair b{{1, 12}, {21, 22, 2}, {33, 2}};
  RowStore store;
  store.append(pair_row(a, 0));
  store.append(pair_row(b, 0));
  EXPECT_EQ(store.row(0).input_ids, (std::vector<int32_t>{5, 1, 10, 11, 20, 2, 1, 10, 11, 30, 31, 32, 2}));
  EXPECT_THROW(pair_spans(store.tokens(0), 3), Error);
  BatchOptions o;
  o.micro_batch_size = 2;
  o.shuffle = false;
  o.preference_pairs = true;
  o.sample_packing = true;  // ignored for pairs
  o.pad_id = 0;
  BatchLoader loader(store, o);
  ASSERT_EQ(loader.steps_in_epoch(0), 1);
  const StepBatch sb = loader.step(0, 0);
  ASSERT_EQ(sb.micro.size(), 1u);
  const Batch& m = sb.micro[0];
  EXPECT_EQ(m.rows, 4);
  EXPECT_EQ(m.samples, 2);
  EXPECT_EQ(m.seq_len, 7);  // the longest sequence (a's rejected), no rounding up
  const std::vector<int32_t> ids = {1, 10, 11, 20, 2, 0, 0,   1, 12, 21, 22, 2, 0, 0,
                                    1, 10, 11, 30, 31, 32, 2, 1, 12, 33, 2, 0, 0, 0};
  EXPECT_EQ(m.input_ids, ids);
  const int32_t x = kIgnoreIndex;
  const std::vector<int32_t> labels = {x, x, x, 20, 2, x, x,   x, x, 21, 22, 2, x, x,
                                       x, x, x, 30, 31, 32, 2, x, x, 33, 2, x, x, x};
  EXPECT_EQ(m.labels, labels);
  EXPECT_EQ(m.segment_ids[4], 1);
  EXPECT_EQ(m.segment_ids[5], 0);
  EXPECT_EQ(m.trained_tokens, 2 + 3 + 4 + 2);
  EXPECT_EQ(m.tokens, 5 + 5 + 7 + 4);
}


// excess_length_strategy: truncate (Axolotl utils/data/rl.py _truncate_long_sequences_rl): a reply whose
// prompt + reply tokens (each alone, no special tokens) exceed sequence_len is cut to sequence_len − prompt
// tokens and decoded back to text before TRL's tokenization; drop (the default) gives no row; a prompt
// that alone fills sequence_len gives no row either way. Through a user_defined `type:` map.
TEST_F(PreferenceTokens, TruncateCutsLongRepliesAsAxolotl) {
  config::DatasetConfig ds;
  ds.format = config::DatasetFormat::kPreference;
  ds.type_name = "user_defined.default";
  ds.user_defined = {{"field_chosen", "good"}};
  const nlohmann::json record = {{"prompt", "Once upon a time"},
                                 {"good", " there was a little girl named Lily who liked to play outside in the sun."},
                                 {"rejected", " the end"}};
  auto n = [&](const std::string& t) { return static_cast<int>(tok_->encode(t, false, false).size()); };
  const int prompt = n("Once upon a time");
  config::DataConfig data;
  data.rl = "dpo";
  data.sequence_len = prompt + 5;
  ASSERT_GT(prompt + n(record["good"]), data.sequence_len);
  ASSERT_LE(prompt + n(" the end"), data.sequence_len);
  std::vector<TokenizedRow> rows;
  RowEncoder(ds, data, *tok_).encode(record, rows);
  EXPECT_TRUE(rows.empty()) << "drop: the pair does not fit";
  data.excess_length_strategy = config::ExcessLength::kTruncate;
  RowEncoder(ds, data, *tok_).encode(record, rows);
  ASSERT_EQ(rows.size(), 1u);
  std::vector<int32_t> cut = tok_->encode(record["good"].get<std::string>(), false, false);
  cut.resize(5);
  const PreferenceText want{"Once upon a time", tok_->decode(cut, false), " the end"};
  ASSERT_LE(prompt + n(want.chosen), data.sequence_len);
  const auto pair = tokenize_dpo(*tok_, want, data.sequence_len);
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(rows[0].input_ids, pair_row(*pair, data.sequence_len).input_ids);
  data.sequence_len = prompt;  // the prompt alone fills it: nothing to cut
  rows.clear();
  RowEncoder(ds, data, *tok_).encode(record, rows);
  EXPECT_TRUE(rows.empty());
}

// excess_length_strategy: raise (Axolotl's _raise_on_long_sequences): a pair that does not fit throws
// ExcessLengthError with the prompt, chosen and rejected lengths; a pair that fits gives its row.
TEST_F(PreferenceTokens, RaiseNamesTheLengthsOfAPairThatDoesNotFit) {
  config::DatasetConfig ds;
  ds.format = config::DatasetFormat::kPreference;
  ds.type_name = "user_defined.default";
  const nlohmann::json record = {{"prompt", "Once upon a time"},
                                 {"chosen", " there was a little girl named Lily who liked to play outside in the sun."},
                                 {"rejected", " the end"}};
  auto n = [&](const std::string& t) { return static_cast<int>(tok_->encode(t, false, false).size()); };
  const int prompt = n("Once upon a time"), chosen = n(record["chosen"]), rejected = n(" the end");
  config::DataConfig data;
  data.rl = "dpo";
  data.excess_length_strategy = config::ExcessLength::kRaise;
  data.sequence_len = prompt + chosen - 1;
  std::vector<TokenizedRow> rows;
  try {
    RowEncoder(ds, data, *tok_).encode(record, rows);
    FAIL() << "expected ExcessLengthError";
  } catch (const ExcessLengthError& e) {
    const Diagnostic& d = e.diagnostic();
    EXPECT_EQ(d.key, "excess_length_strategy");
    EXPECT_NE(d.message.find("sequence_len (" + std::to_string(data.sequence_len) + ")"), std::string::npos) << d.message;
    EXPECT_NE(d.found.find("chosen " + std::to_string(chosen) + " = " + std::to_string(prompt + chosen) + " tokens"),
              std::string::npos) << d.found;
    EXPECT_NE(d.found.find("rejected " + std::to_string(rejected) + " = " + std::to_string(prompt + rejected)),
              std::string::npos) << d.found;
  }
  EXPECT_TRUE(rows.empty());
  data.sequence_len = prompt + chosen;  // fits exactly
  RowEncoder(ds, data, *tok_).encode(record, rows);
  EXPECT_EQ(rows.size(), 1u);
}

}  // namespace
}  // namespace axolotl::data
