// Dicts from the data keep the row's key order in chat templates (tojson, items(), a for over a
// mapping), from the JSONL line through RecordReader and the chat row encoder, against renders by
// real Jinja2 as transformers configures it (tests/reference/chat_key_order_reference.py); and
// chat_template_kwargs reach the template in their order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "axolotl/data/prepared_cache.h"
#include "axolotl/data/record_reader.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "byte_tokenizer.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;

// The byte tokenizer, spelling bos and eos as the reference script passes them.
class SpelledByteTokenizer : public ByteTokenizer {
 public:
  std::string id_to_token(int32_t id) const override { return id == 1 ? "<s>" : id == 2 ? "</s>" : ""; }
};

std::string text_of(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s.push_back(static_cast<char>(id - 3));
  return s;
}

nlohmann::ordered_json golden() {
  std::ifstream in(testing::source_dir() / "tests/assets/chat_key_order_golden.json");
  EXPECT_TRUE(in);
  return nlohmann::ordered_json::parse(in);  // keeps the kwargs' order
}

struct CaseSetup {
  config::DatasetConfig ds;
  config::DataConfig data;
  std::string tokenizer_dir;
};

// The encoder settings a golden case names; false when its template needs ../shared and it is absent.
bool setup_for(const nlohmann::ordered_json& g, const nlohmann::ordered_json& c, CaseSetup& s) {
  const std::string name = c["template"].get<std::string>();
  s.ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "jinja"}});
  if (name == "qwen3") {  // the model's own template
    fs::path dir = testing::shared_dir() / "tokenizers/qwen3";
    if (testing::shared_dir().empty() || !fs::exists(dir / "tokenizer_config.json")) return false;
    s.ds.chat_template = "tokenizer_default";
    s.tokenizer_dir = dir.string();
  } else {
    s.data.chat_template_jinja = g["templates"][name].get<std::string>();
  }
  if (c.contains("kwargs")) s.data.chat_template_kwargs = c["kwargs"].dump();
  return true;
}

std::vector<int32_t> encode_line(const CaseSetup& s, const Tokenizer& tok, const std::string& line) {
  testing::TempDir dir;
  testing::write_file(dir / "rows.jsonl", line + "\n");
  RecordReader reader((dir / "rows.jsonl").string());
  Record r;
  EXPECT_TRUE(reader.next(r));
  RowEncoder enc(s.ds, s.data, tok, s.tokenizer_dir);
  std::vector<TokenizedRow> rows;
  enc.encode(r.value, rows);
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? std::vector<int32_t>{} : rows[0].input_ids;
}

TEST(ChatKeyOrder, DataDictsRenderInTheRowsKeyOrder) {
  const auto g = golden();
  SpelledByteTokenizer tok;
  int checked = 0;
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    CaseSetup s;
    if (!setup_for(g, c, s)) continue;
    const std::string expected = c["output"].get<std::string>();
    EXPECT_EQ(text_of(encode_line(s, tok, c["line"].get<std::string>())), expected);
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

// The test can fail: the same rows with sorted keys (nlohmann::json, the order before) render otherwise.
TEST(ChatKeyOrder, SortedKeysWouldRenderDifferently) {
  const auto g = golden();
  SpelledByteTokenizer tok;
  for (const auto& c : g["cases"]) {
    if (c["template"] != "inline") continue;
    SCOPED_TRACE(c["id"].get<std::string>());
    CaseSetup s;
    ASSERT_TRUE(setup_for(g, c, s));
    RowEncoder enc(s.ds, s.data, tok);
    std::vector<TokenizedRow> rows;
    enc.encode(nlohmann::json::parse(c["line"].get<std::string>()), rows);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_NE(text_of(rows[0].input_ids), c["output"].get<std::string>());
  }
}

TEST(ChatKeyOrder, TemplateKwargsMustBeAnObject) {
  SpelledByteTokenizer tok;
  config::DatasetConfig ds = testing::dataset_from_json({{"type", "chat_template"}, {"chat_template", "chatml"}});
  config::DataConfig data;
  data.chat_template_kwargs = "[true]";
  try {
    RowEncoder enc(ds, data, tok);
    FAIL() << "accepted a list";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("chat_template_kwargs"), std::string::npos) << e.what();
  }
}

// Template variables change the rows: the prepared-data cache is not reused across them.
TEST(ChatKeyOrder, PreparedCacheKeyFollowsTemplateKwargs) {
  SpelledByteTokenizer tok;
  testing::TempDir dir;
  testing::write_file(dir / "rows.jsonl", R"({"messages": [{"role": "user", "content": "Hi"}]})" "\n");
  config::DataConfig data;
  data.datasets.push_back(testing::dataset_from_json({{"type", "chat_template"}}));
  data.datasets[0].path = (dir / "rows.jsonl").string();
  const std::string plain = prepared_key(data, {}, "", tok, 0);
  data.chat_template_kwargs = R"({"enable_thinking":false})";
  const std::string no_think = prepared_key(data, {}, "", tok, 0);
  data.chat_template_kwargs = R"({"enable_thinking":true})";
  EXPECT_NE(plain, no_think);
  EXPECT_NE(no_think, prepared_key(data, {}, "", tok, 0));
}

}  // namespace
}  // namespace axolotl::data
