// The chat_template strategy against label goldens from an independent Python re-implementation of
// Axolotl's ChatTemplateStrategy (tests/reference/chat_labels_reference.py: real Jinja2 renders,
// sentencepiece tokenization of the shared Llama-2 tokenizer), token for token.
#include <gtest/gtest.h>

#include <fstream>

#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

TEST(ChatLabelsGolden, MatchAxolotlsStrategy) {
  AXOLOTL_REQUIRE_SHARED();
  std::ifstream in(testing::source_dir() / "tests/assets/chat_labels_golden.json");
  ASSERT_TRUE(in);
  auto golden = nlohmann::json::parse(in);
  auto tok = testing::shared_tokenizer(golden["tokenizer"].get<std::string>());
  int checked = 0;
  for (const auto& c : golden["cases"]) {
    const auto& o = c["options"];
    SCOPED_TRACE(c["template"].get<std::string>() + " " + o.dump());
    config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", c["template"]}});
    if (o.contains("roles_to_train")) ds.roles_to_train = o["roles_to_train"].get<std::vector<std::string>>();
    ds.train_on_eos = o.value("train_on_eos", "");
    ds.train_on_eot = o.value("train_on_eot", "");
    ds.message_field_training = o.value("message_field_training", "");
    ds.drop_system_message = o.value("drop_system_message", false);
    ds.split_thinking = o.value("split_thinking", false);
    config::DataConfig data;
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
      EXPECT_EQ(rows[0].input_ids, r["input_ids"].get<std::vector<int32_t>>()) << r["record"].dump();
      EXPECT_EQ(rows[0].labels, r["labels"].get<std::vector<int32_t>>()) << r["record"].dump();
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
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

}  // namespace
}  // namespace axolotl::data
