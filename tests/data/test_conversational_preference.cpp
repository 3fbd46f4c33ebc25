// TRL's conversational preference rows (conversational_preference.h) against TRL 1.8's own functions run
// from its source (tests/reference/conversational_preference_reference.py): DPOTrainer's token ids and
// ORPO/CPO's strings on chatml and the real llama3, qwen3 and gemma3 templates, rows TRL or the template
// raises on included; and the row encoder's handling of such rows under passthrough.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "axolotl/data/conversational_preference.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "byte_tokenizer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

using Json = nlohmann::ordered_json;

ChatVars vars_of(const Json& special) {
  ChatVars v;
  auto take = [&](const char* k, std::string& to) {
    if (special.contains(k)) to = special[k].get<std::string>();
  };
  take("bos_token", v.bos_token);
  take("eos_token", v.eos_token);
  take("pad_token", v.pad_token);
  take("unk_token", v.unk_token);
  return v;
}

TEST(ConversationalPreference, RendersAndTokenizesAsTrl) {
  const auto g = Json::parse(testing::read_file(testing::source_dir() / "tests/assets/data/conversational_preference_golden.json"));
  const auto shared = testing::shared_dir();
  std::map<std::string, std::unique_ptr<ChatTemplate>> templates;
  const ByteTokenizer tok;
  size_t checked = 0, errors = 0;
  for (const auto& c : g["cases"]) {
    const std::string name = c["template"];
    if (name != "chatml" && shared.empty()) continue;  // the real templates live in ../shared
    if (!templates.count(name)) {
      const auto source = name == "chatml" ? named_chat_template_source(name)
                                           : tokenizer_chat_template((shared / "tokenizers" / name).string());
      ASSERT_TRUE(source.has_value()) << name;
      templates[name] = std::make_unique<ChatTemplate>(name, *source);
    }
    const ChatTemplate& t = *templates[name];
    const ChatVars vars = vars_of(c["special"]);
    const std::string where = name + " " + c["row"].dump();
    const Conversation conv = conversation_of(c["row"]);
    EXPECT_TRUE(is_conversational_preference(c["row"])) << where;
    const auto& dpo = c["want"]["dpo"];
    if (dpo.contains("error")) {
      EXPECT_THROW(tokenize_conversation(tok, conv, t, vars, 0), Error) << where << "\nTRL: " << dpo["error"];
      ++errors;
    } else {
      const auto p = tokenize_conversation(tok, conv, t, vars, 0);
      ASSERT_TRUE(p.has_value()) << where;
      EXPECT_EQ(p->prompt, dpo["prompt_ids"].get<std::vector<int32_t>>()) << where;
      EXPECT_EQ(p->chosen, dpo["chosen_ids"].get<std::vector<int32_t>>()) << where;
      EXPECT_EQ(p->rejected, dpo["rejected_ids"].get<std::vector<int32_t>>()) << where;
      // TRL drops a pair whose prompt alone fills max_length
      EXPECT_FALSE(tokenize_conversation(tok, conv, t, vars, static_cast<int>(p->prompt.size())).has_value());
    }
    const auto& orpo = c["want"]["orpo"];
    if (orpo.contains("error")) {
      EXPECT_THROW(render_conversation(conv, t, vars), Error) << where << "\nTRL: " << orpo["error"];
      ++errors;
    } else {
      const PreferenceText s = render_conversation(conv, t, vars);
      EXPECT_EQ(s.prompt, orpo["prompt"].get<std::string>()) << where;
      EXPECT_EQ(s.chosen, orpo["chosen"].get<std::string>()) << where;
      EXPECT_EQ(s.rejected, orpo["rejected"].get<std::string>()) << where;
    }
    ++checked;
  }
  EXPECT_GE(checked, 7u);
  EXPECT_GE(errors, 1u) << "rows TRL raises on are in the golden";
}

TEST(ConversationalPreference, OnlyMessageListsAreConversational) {
  EXPECT_FALSE(is_conversational_preference(Json{{"prompt", "q"}, {"chosen", "a"}, {"rejected", "b"}}));
  EXPECT_TRUE(is_conversational_preference(Json::parse(R"({"chosen": [{"role": "user", "content": "q"}], "rejected": "b"})")));
  // a mixed row is conversational, and its string field is named
  try {
    conversation_of(Json::parse(R"({"prompt": "q", "chosen": [{"role": "assistant", "content": "a"}],
                                    "rejected": [{"role": "assistant", "content": "b"}]})"));
    FAIL() << "a string prompt beside message lists was accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.diagnostic().found.find("prompt"), std::string::npos) << e.what();
  }
  // chosen equal to rejected leaves nothing to prefer (extract_prompt finds no difference)
  const auto same = Json::parse(R"({"chosen": [{"role": "user", "content": "q"}], "rejected": [{"role": "user", "content": "q"}]})");
  EXPECT_THROW(conversation_of(same), Error);
}

class ConversationalRows : public ::testing::Test {
 protected:
  config::DatasetConfig ds_;
  config::DataConfig data_;
  ByteTokenizer tok_;
  const Json row_ = Json::parse(R"({"prompt": [{"role": "user", "content": "Sky?"}],
                                    "chosen": [{"role": "assistant", "content": "Blue."}],
                                    "rejected": [{"role": "assistant", "content": "Green, I think."}]})");
  void SetUp() override {
    ds_.format = config::DatasetFormat::kPreference;
    ds_.type_name = "passthrough.default";
    data_.rl = "dpo";
    data_.sequence_len = 256;
    data_.chat_template = "chatml";
  }
  std::vector<TokenizedRow> encode() const {
    std::vector<TokenizedRow> rows;
    RowEncoder(ds_, data_, tok_).encode(row_, rows);
    return rows;
  }
  ChatTemplate chatml() const { return ChatTemplate("chatml", *named_chat_template_source("chatml")); }
  ChatVars vars() const {
    ChatVars v;
    v.bos_token = tok_.id_to_token(tok_.bos_id());
    v.eos_token = tok_.id_to_token(tok_.eos_id());
    return v;
  }
};

// DPO reads the row as TRL's DPOTrainer does, through the top-level chat_template; a pair longer than
// sequence_len is dropped (the default), raised on, or cut as TRL's collator cuts it.
TEST_F(ConversationalRows, DpoRowsAreTrlsIds) {
  const auto pair = tokenize_conversation(tok_, conversation_of(row_), chatml(), vars(), data_.sequence_len);
  ASSERT_TRUE(pair.has_value());
  const auto rows = encode();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].input_ids, pair_row(*pair, data_.sequence_len).input_ids);
  EXPECT_EQ(rows[0].labels, pair_row(*pair, data_.sequence_len).labels);
  data_.sequence_len = static_cast<int>(pair->prompt.size() + pair->chosen.size());  // rejected is longer
  EXPECT_TRUE(encode().empty());
  data_.excess_length_strategy = config::ExcessLength::kRaise;
  EXPECT_THROW(encode(), ExcessLengthError);
  data_.excess_length_strategy = config::ExcessLength::kTruncate;
  const auto cut = encode();
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].input_ids, pair_row(*pair, data_.sequence_len).input_ids);
}

// ORPO (and SimPO) render the strings first and tokenize them as TRL's legacy tokenize_row does.
TEST_F(ConversationalRows, OrpoRowsAreTrlsStrings) {
  data_.rl = "orpo";
  const auto rows = encode();
  ASSERT_EQ(rows.size(), 1u);
  const auto text = render_conversation(conversation_of(row_), chatml(), vars());
  EXPECT_EQ(rows[0].input_ids, pair_row(tokenize_legacy(tok_, text, data_.sequence_len)).input_ids);
}

// Without a chat template (none set, and a tokenizer folder without one) the row is refused with the key
// to set; string rows of the same dataset still read.
TEST_F(ConversationalRows, NeedAChatTemplate) {
  data_.chat_template.clear();
  try {
    encode();
    FAIL() << "a conversational row was read without a chat template";
  } catch (const Error& e) {
    EXPECT_EQ(e.diagnostic().key, "chat_template") << e.what();
  }
  std::vector<TokenizedRow> rows;
  RowEncoder(ds_, data_, tok_).encode(Json{{"prompt", "Sky?"}, {"chosen", " Blue."}, {"rejected", " Green."}}, rows);
  EXPECT_EQ(rows.size(), 1u);
}

}  // namespace
}  // namespace axolotl::data
