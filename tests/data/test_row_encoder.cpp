// Every dataset format against golden rows from tests/reference/data_reference.py (Python
// Axolotl's rules with sentencepiece), token for token, on two shared tokenizers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

using testing::dataset_from_json;

void check_golden(const std::string& golden_name, const std::string& tokenizer_rel) {
  auto golden_path = testing::source_dir() / "tests/assets/data" / golden_name;
  std::ifstream in(golden_path);
  ASSERT_TRUE(in) << golden_path;
  auto golden = nlohmann::json::parse(in);
  int cases = 0;
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    config::TokenizerConfig tc;
    if (c.contains("special_tokens")) tc.special_tokens = c["special_tokens"].get<std::map<std::string, std::string>>();
    if (c.contains("added_tokens")) tc.added_tokens = c["added_tokens"].get<std::vector<std::string>>();
    auto tok = testing::shared_tokenizer(tokenizer_rel, tc);
    config::DataConfig data;
    data.sequence_len = c["sequence_len"];
    data.train_on_inputs = c.value("train_on_inputs", false);
    RowEncoder encoder(dataset_from_json(c["dataset"]), data, *tok);
    std::vector<TokenizedRow> rows;
    for (const auto& rec : c["records"]) encoder.encode(rec, rows);
    const auto& expected = c["rows"];
    ASSERT_EQ(rows.size(), expected.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].input_ids, expected[i]["input_ids"].get<std::vector<int32_t>>()) << "row " << i;
      EXPECT_EQ(rows[i].labels, expected[i]["labels"].get<std::vector<int32_t>>()) << "row " << i;
    }
    ++cases;
  }
  EXPECT_GE(cases, 19);
}

TEST(RowEncoderGolden, Stories260K) {
  AXOLOTL_REQUIRE_SHARED();
  check_golden("golden_stories260K.json", "models/stories260K/tokenizer.model");
}

TEST(RowEncoderGolden, Llama2) {
  AXOLOTL_REQUIRE_SHARED();
  check_golden("golden_llama2.json", "tokenizers/llama2/tokenizer.model");
}

// Qwen's tokenizer has no BOS token (bos_id -1): rows encode without one and chat templates see an empty
// bos_token, as in transformers (an encoder once asked the tokenizer for the text of id -1 and failed).
TEST(RowEncoderNoBos, QwenTokenizerEncodesAlpacaAndChatRows) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/qwen3");
  ASSERT_LT(tok->bos_id(), 0);
  config::DataConfig data;
  data.sequence_len = 128;
  const nlohmann::json chat = {{"messages", {{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", "Hello"}}}}};
  for (const auto& [dataset, record, starts] :
       {std::tuple{nlohmann::json{{"type", "alpaca"}}, nlohmann::json{{"instruction", "Say hi"}, {"output", "hi"}},
                   std::string("Below is an instruction")},
        std::tuple{nlohmann::json{{"type", "chat_template"}, {"chat_template", "qwen3"}}, chat,
                   std::string("<|im_start|>user\nHi<|im_end|>")}}) {
    SCOPED_TRACE(dataset.dump());
    RowEncoder enc(dataset_from_json(dataset), data, *tok);
    std::vector<TokenizedRow> rows;
    enc.encode(record, rows);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(tok->decode(rows[0].input_ids, false).rfind(starts, 0), 0u) << tok->decode(rows[0].input_ids, false);
    EXPECT_NE(std::count(rows[0].labels.begin(), rows[0].labels.end(), -100), static_cast<long>(rows[0].labels.size()));
  }
}

// type: jeopardy renders as Axolotl's JeopardyPrompter does (the alpaca prompt with the category as input)
// and trains on "what is " + answer.
TEST(RowEncoderJeopardy, AlpacaPromptAndWhatIsAnswer) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DatasetConfig ds = dataset_from_json({{"type", "alpaca"}, {"field_instruction", "question"},
                                                {"field_input", "category"}, {"field_output", "answer"}});
  ds.type_name = "jeopardy";
  config::DataConfig data;
  data.sequence_len = 256;
  RowEncoder enc(ds, data, *tok);
  std::vector<TokenizedRow> rows;
  enc.encode(nlohmann::json{{"question", "It is the capital of France"}, {"category", "CITIES"}, {"answer", "Paris"}},
             rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(tok->decode(rows[0].input_ids),
            "Below is an instruction that describes a task, paired with an input that provides further context. "
            "Write a response that appropriately completes the request.\n\n### Instruction:\nIt is the capital of "
            "France\n\n### Input:\nCITIES\n\n### Response:\n what is Paris");  // the response is tokenized on its own: "▁what"
  std::vector<int32_t> trained;
  for (size_t i = 0; i < rows[0].labels.size(); ++i)
    if (rows[0].labels[i] != -100) trained.push_back(rows[0].input_ids[i]);
  EXPECT_EQ(tok->decode(trained), "what is Paris");
}

// alpaca:phi is Axolotl's PromptStyle.PHI: Phi-3 turn markers, the input right after <|end|>.
TEST(RowEncoderAlpacaPhi, PhiTurnMarkers) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DataConfig data;
  data.sequence_len = 256;
  RowEncoder enc(dataset_from_json({{"type", "alpaca:phi"}}), data, *tok);
  std::vector<TokenizedRow> rows;
  enc.encode(nlohmann::json{{"instruction", "Add"}, {"input", "2 and 3"}, {"output", "5"}}, rows);
  enc.encode(nlohmann::json{{"instruction", "Say hi"}, {"output", "hi"}}, rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(tok->decode(rows[0].input_ids),
            "<|system|>\nBelow is an instruction that describes a task, paired with an input that provides further "
            "context. Write a response that appropriately completes the request.<|end|>\n<|user|>\nAdd<|end|>2 and "
            "3<|assistant|> 5");  // the response is tokenized on its own
  EXPECT_EQ(tok->decode(rows[1].input_ids),
            "<|system|>\nBelow is an instruction that describes a task. Write a response that appropriately "
            "completes the request.<|end|>\n<|user|>\nSay hi<|end|>\n<|assistant|>\n hi");
}

class RowEncoderErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent";
    tok_ = testing::shared_tokenizer("models/stories260K/tokenizer.model");
  }
  // The Diagnostic key of the error `record` raises.
  std::string error_key(const std::string& type, const nlohmann::json& record) {
    config::DataConfig data;
    RowEncoder enc(dataset_from_json({{"type", type}, {"chat_template", "chatml"}}), data, *tok_);
    std::vector<TokenizedRow> rows;
    try {
      enc.encode(record, rows);
    } catch (const Error& e) {
      return e.diagnostic().key + ": " + e.diagnostic().message;
    }
    return "no error";
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(RowEncoderErrors, NameTheField) {
  EXPECT_EQ(error_key("alpaca", {{"instruction", "x"}}), "output: required field missing");
  EXPECT_EQ(error_key("alpaca", {{"instruction", 3}, {"output", "y"}}), "instruction: field has the wrong type");
  EXPECT_EQ(error_key("alpaca", {{"instruction", ""}, {"output", "y"}}), "instruction: field is an empty string");
  EXPECT_EQ(error_key("alpaca", nlohmann::json::array({1, 2})), ": record is not a JSON object");
  EXPECT_EQ(error_key("completion", {{"txt", "a"}}), "text: required field missing");
  EXPECT_EQ(error_key("chat_template", {{"messages", nlohmann::json::array()}}),
            "messages: must be a non-empty array of messages");
  EXPECT_EQ(error_key("chat_template", {{"messages", {{{"role", "user"}}}}}),
            "messages[0].content: message content missing or not a string");
  EXPECT_EQ(error_key("input_output", {{"segments", {{{"text", "a"}}}}}),
            "segments[0].label: required boolean missing or mistyped");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 99999}}}), "input_ids: token id out of range");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 2}}, {"labels", {1}}}), "labels: length differs from input_ids");
  EXPECT_EQ(error_key("alpaca", {{"instruction", "x"}, {"input", nullptr}, {"output", "y"}}), "no error");
  // Above 2^63 a JSON integer is unsigned: it must not wrap into range.
  EXPECT_EQ(error_key("pretokenized", nlohmann::json::parse(R"({"input_ids": [1, 18446744073709551615]})")),
            "input_ids: token id out of range");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 2, 3}}, {"attention_mask", {1, 0, 1}}}),
            "attention_mask: has a 0 between ones (only leading or trailing padding can be masked)");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 2}}, {"attention_mask", {0, 0}}}),
            "attention_mask: masks every token");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 2}}, {"attention_mask", {1}}}),
            "attention_mask: length differs from input_ids");
  EXPECT_EQ(error_key("pretokenized", {{"input_ids", {1, 2}}, {"attention_mask", {1, 2}}}),
            "attention_mask: value out of range");
}

// Image/video/audio rows (HuggingFaceH4/llava-instruct-mix-vsft: an "images" column and {"type": "image"}
// content parts) are refused, naming the field, rather than trained as their text alone.
TEST_F(RowEncoderErrors, MultimodalRowsAreRefusedByName) {
  const nlohmann::json image_part = {{"messages", {{{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", "what is it?"}}}}},
                                                   {{"role", "assistant"}, {"content", {{{"type", "text"}, {"text", "a cat"}}}}}}}};
  const std::string part = error_key("chat_template", image_part);
  EXPECT_EQ(part.rfind("messages[0].content: a \"image\" content part: multimodal", 0), 0u) << part;
  nlohmann::json with_images = {{"messages", {{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "yo"}}}},
                                {"images", {"a.png"}}};
  const std::string column = error_key("chat_template", with_images);
  EXPECT_EQ(column.rfind("images: rows with images", 0), 0u) << column;
  with_images["images"] = nlohmann::json::array();  // an empty column is a text row
  EXPECT_EQ(error_key("chat_template", with_images), "no error");
}

// Padding marked by attention_mask (left or right) is neither attended nor trained: it is dropped.
TEST_F(RowEncoderErrors, AttentionMaskDropsPadding) {
  config::DataConfig data;
  RowEncoder enc(dataset_from_json({{"type", "pretokenized"}}), data, *tok_);
  std::vector<TokenizedRow> rows;
  enc.encode(nlohmann::json{{"input_ids", {0, 0, 5, 6, 7, 0}}, {"labels", {-100, -100, 5, 6, 7, -100}},
                            {"attention_mask", {0, 0, 1, 1, 1, 0}}},
             rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].input_ids, (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(rows[0].labels, (std::vector<int32_t>{5, 6, 7}));
}

}  // namespace
}  // namespace axolotl::data
