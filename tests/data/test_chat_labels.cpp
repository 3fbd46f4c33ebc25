// The chat_template strategy against label goldens from an independent Python re-implementation of
// Axolotl's ChatTemplateStrategy (tests/reference/chat_labels_reference.py: real Jinja2 renders,
// sentencepiece tokenization of the shared Llama-2 tokenizer), token for token: named templates and
// the Qwen3 / Llama-3 tokenizers' own ("tokenizer:<name>"), field names, role tables, tools.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "axolotl/data/row_encoder.h"
#include "axolotl/data/chat_train_detail.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

TEST(ChatLabelsGolden, MatchAxolotlsStrategy) {
  AXOLOTL_REQUIRE_SHARED();
  std::ifstream in(testing::source_dir() / "tests/assets/chat_labels_golden.json");
  ASSERT_TRUE(in);
  auto golden = nlohmann::ordered_json::parse(in);  // the rows' key order, as Python's dicts (tools | tojson)
  auto tok = testing::shared_tokenizer(golden["tokenizer"].get<std::string>());
  int checked = 0;
  for (const auto& c : golden["cases"]) {
    const auto& o = c["options"];
    SCOPED_TRACE(c["template"].get<std::string>() + " " + o.dump());
    const std::string name = c["template"].get<std::string>();
    const bool own = name.rfind("tokenizer:", 0) == 0;  // a tokenizer's own template, as inline jinja
    config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", own ? "jinja" : name}});
    config::DataConfig data;
    if (own) {
      std::ifstream f(testing::shared_dir() / "tokenizers" / name.substr(10) / "tokenizer_config.json");
      if (!f) {
        ADD_FAILURE() << name << ": tokenizer_config.json absent";
        continue;
      }
      data.chat_template_jinja = nlohmann::ordered_json::parse(f)["chat_template"].get<std::string>();
    }
    if (o.contains("roles_to_train")) ds.roles_to_train = o["roles_to_train"].get<std::vector<std::string>>();
    if (o.contains("field_messages")) ds.field_messages = o["field_messages"].get<std::string>();
    if (o.contains("message_property_mappings"))
      ds.message_property_mappings = o["message_property_mappings"].get<std::map<std::string, std::string>>();
    if (o.contains("roles")) ds.roles = o["roles"].get<std::map<std::string, std::vector<std::string>>>();
    if (o.contains("field_thinking")) ds.field_thinking = o["field_thinking"].get<std::string>();
    ds.train_on_eos = o.value("train_on_eos", "");
    ds.train_on_eot = o.value("train_on_eot", "");
    ds.message_field_training = o.value("message_field_training", "");
    ds.message_field_training_detail = o.value("message_field_training_detail", "");
    ds.drop_system_message = o.value("drop_system_message", false);
    ds.split_thinking = o.value("split_thinking", false);
    data.train_on_inputs = o.value("train_on_inputs", false);
    if (o.contains("eot_tokens")) data.eot_tokens = o["eot_tokens"].get<std::vector<std::string>>();
    RowEncoder enc(ds, data, *tok);
    for (const auto& r : c["rows"]) {
      std::vector<TokenizedRow> rows;
      if (r.contains("error")) {
        EXPECT_THROW(enc.encode(r["record"], rows), Error) << r["error"];
        continue;
      }
      try {
        enc.encode(r["record"], rows);
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
        continue;
      }
      ASSERT_EQ(rows.size(), 1u);
      const auto want = r["input_ids"].get<std::vector<int32_t>>();
      EXPECT_EQ(rows[0].input_ids, want) << r["record"].dump() << "\nours:   " << tok->decode(rows[0].input_ids, false)
                                         << "\ngolden: " << tok->decode(want, false);
      EXPECT_EQ(rows[0].labels, r["labels"].get<std::vector<int32_t>>()) << r["record"].dump();
      ++checked;
    }
  }
  EXPECT_GE(checked, 100);
}

// A template whose prefix renders differ from the full render (as Qwen3's own drops earlier <think>
// blocks): the labels stay Axolotl's, and one warning names the turn.
TEST(ChatLabels, PrefixMismatchWarnsOnce) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "jinja"}});
  config::DataConfig data;
  data.chat_template_jinja =
      "{% for m in messages %}{{ m.role }}: {{ m.content }}{{ ' (last)' if loop.last }}\n{% endfor %}";
  RowEncoder enc(ds, data, *tok);
  nlohmann::json rec = {{"messages", {{{"role", "user"}, {"content", "a"}}, {{"role", "assistant"}, {"content", "b"}},
                                      {{"role", "user"}, {"content", "c"}}, {{"role", "assistant"}, {"content", "d"}}}}};
  std::vector<TokenizedRow> rows;
  ::testing::internal::CaptureStderr();
  enc.encode(rec, rows);
  enc.encode(rec, rows);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(err.find("up to turn 1 renders differently"), std::string::npos) << err;
  EXPECT_EQ(err.find("renders differently"), err.rfind("renders differently")) << "warned once: " << err;
}

// field_thinking names the data's key, template_thinking_key the one the template reads (Axolotl maps
// one onto the other); split_thinking fills the template's key too.
TEST(ChatLabels, TemplateThinkingKeyIsWhatTheTemplateReads) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DataConfig data;
  data.chat_template_jinja = "{% for m in messages %}{{ m.role }}:{% if m.thinking %}[{{ m.thinking }}]{% endif %}"
                             "{{ m.content }}\n{% endfor %}";
  auto render = [&](config::DatasetConfig ds, const nlohmann::json& rec) {
    RowEncoder enc(ds, data, *tok);
    std::vector<TokenizedRow> rows;
    enc.encode(rec, rows);
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? std::string() : tok->decode(rows[0].input_ids);
  };
  config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "jinja"}});
  ds.field_thinking = "reasoning";
  ds.template_thinking_key = "thinking";
  nlohmann::json rec = {{"messages", {{{"role", "user"}, {"content", "q"}},
                                      {{"role", "assistant"}, {"content", "a"}, {"reasoning", "r"}}}}};
  EXPECT_NE(render(ds, rec).find("assistant:[r]a"), std::string::npos) << render(ds, rec);
  config::DatasetConfig plain = ds;
  plain.template_thinking_key = "reasoning_content";  // the default: the template's m.thinking stays unset
  EXPECT_EQ(render(plain, rec).find("[r]"), std::string::npos) << render(plain, rec);
  ds.field_thinking = "";
  ds.split_thinking = true;
  nlohmann::json think = {{"messages", {{{"role", "user"}, {"content", "q"}},
                                        {{"role", "assistant"}, {"content", "<think>r</think>a"}}}}};
  EXPECT_NE(render(ds, think).find("assistant:[r]a"), std::string::npos) << render(ds, think);
}

// Axolotl's StrategyLoader never hands field_tools to the prompter: the schemas come from the "tools"
// column whatever field_tools says (matched, with a warning).
TEST(ChatLabels, FieldToolsIsIgnoredAsInAxolotl) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "qwen_25"}});
  ds.field_tools = "functions";
  auto schema = [](const std::string& name) {
    return nlohmann::json{{"type", "function"}, {"function", {{"name", name}, {"parameters", nlohmann::json::object()}}}};
  };
  nlohmann::json rec = {{"messages", {{{"role", "user"}, {"content", "q"}}, {{"role", "assistant"}, {"content", "a"}}}},
                        {"functions", {schema("from_functions")}},
                        {"tools", {schema("from_tools")}}};
  ::testing::internal::CaptureStderr();
  RowEncoder enc(ds, config::DataConfig{}, *tok);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("field_tools: 'functions' is ignored"), std::string::npos) << err;
  std::vector<TokenizedRow> rows;
  enc.encode(rec, rows);
  ASSERT_EQ(rows.size(), 1u);
  std::string text = tok->decode(rows[0].input_ids);
  EXPECT_NE(text.find("from_tools"), std::string::npos) << text;
  EXPECT_EQ(text.find("from_functions"), std::string::npos) << text;
}

// Axolotl's load_tokenizer sets the tokenizer's template to the top-level choice, so a dataset's
// tokenizer_default (or _fallback_) renders with the top-level template; a named one still wins.
TEST(ChatLabels, DatasetTokenizerDefaultMeansTheTopLevelTemplate) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  const std::string own_dir = (testing::shared_dir() / "tokenizers/llama3").string();  // has its own template
  nlohmann::json rec = {{"messages", {{{"role", "user"}, {"content", "q"}}, {{"role", "assistant"}, {"content", "a"}}}}};
  auto render = [&](const std::string& ds_choice, const std::string& top) {
    config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", ds_choice}});
    config::DataConfig data;
    data.chat_template = top;
    RowEncoder enc(ds, data, *tok, own_dir);
    std::vector<TokenizedRow> rows;
    enc.encode(rec, rows);
    return rows.empty() ? std::string() : tok->decode(rows[0].input_ids, false);
  };
  EXPECT_NE(render("tokenizer_default", "chatml").find("<|im_start|>"), std::string::npos);
  EXPECT_NE(render("tokenizer_default_fallback_llama3", "chatml").find("<|im_start|>"), std::string::npos);
  EXPECT_NE(render("tokenizer_default", "").find("<|start_header_id|>"), std::string::npos);
  EXPECT_NE(render("chatml", "llama3").find("<|im_start|>"), std::string::npos);
  EXPECT_NE(render("", "chatml").find("<|im_start|>"), std::string::npos);
}

// A malformed message_field_training_detail is refused naming the message and key.
TEST(ChatLabels, MalformedTrainDetailNamesTheField) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama2/tokenizer.model");
  config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "chatml"}});
  ds.message_field_training_detail = "spans";
  config::DataConfig data;
  RowEncoder enc(ds, data, *tok);
  std::vector<TokenizedRow> rows;
  auto rec = [](nlohmann::json spans) {
    return nlohmann::json{{"messages", {{{"role", "user"}, {"content", "a"}},
                                        {{"role", "assistant"}, {"content", "bc"}, {"spans", spans}}}}};
  };
  for (const auto& bad : {nlohmann::json("0-1"), nlohmann::json::array({{{"begin_offset", "0"}, {"end_offset", 1},
                                                                          {"train", true}}}),
                          nlohmann::json::array({{{"begin_offset", 0}, {"end_offset", 1}}})}) {
    try {
      enc.encode(rec(bad), rows);
      ADD_FAILURE() << "accepted " << bad.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("messages[1].spans"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(rows.empty());
  enc.encode(rec(nlohmann::json::array({{{"begin_offset", 0}, {"end_offset", 1}, {"train", true}}})), rows);
  ASSERT_EQ(rows.size(), 1u);
}

// Character offsets on a byte-level BPE tokenizer (Llama-3's tokenizer.json): a detail inside a
// token widens to the whole token, and a multi-byte character split over byte tokens keeps its index.
TEST(ChatLabels, TrainDetailOnByteLevelTokenizer) {
  AXOLOTL_REQUIRE_SHARED();
  auto tok = testing::shared_tokenizer("tokenizers/llama3");
  std::string text = "Hello world";
  EXPECT_EQ(train_detail_mask(*tok, text, {{6, 10, true}}, "t"), (std::vector<bool>{false, true}));
  EXPECT_EQ(train_detail_mask(*tok, text, {{0, 10, true}, {0, 4, false}}, "t"), (std::vector<bool>{true, true}));
  EXPECT_EQ(train_detail_mask(*tok, text, {{0, 3, false}}, "t"), (std::vector<bool>{false, false}));
  std::string uni = "a\xF0\x9F\xA6\x99" "b";  // a, one 4-byte character, b: 3 characters
  auto ids = tok->encode(uni, false, false);
  auto starts = token_char_starts(*tok, uni, ids, "t");
  ASSERT_EQ(starts.size(), ids.size());
  EXPECT_EQ(starts.front(), 0);
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_LE(starts[i - 1], starts[i]);
  EXPECT_EQ(starts.back(), 2) << "b is the third character; ids " << ::testing::PrintToString(ids)
                              << " starts " << ::testing::PrintToString(starts);
  EXPECT_TRUE(train_detail_mask(*tok, "", {{0, 0, true}}, "t").empty());
}

}  // namespace
}  // namespace axolotl::data
