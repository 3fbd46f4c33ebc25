// Renders every case of tests/assets/jinja_render_golden.json (made by real Jinja2 with transformers'
// settings: tests/reference/chat_template_render.py) and compares byte for byte. Error cases must throw.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "axolotl/data/jinja/template.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data::jinja {
namespace {

using nlohmann::ordered_json;

ordered_json load_golden() {
  std::ifstream f(testing::source_dir() / "tests/assets/jinja_render_golden.json");
  return ordered_json::parse(f);
}

std::string tokenizer_template(const std::string& tok) {  // cached: gemma3's config is 1 MB
  static std::map<std::string, std::string> cache;
  if (cache.count(tok)) return cache[tok];
  auto path = testing::shared_dir() / "tokenizers" / tok / "tokenizer_config.json";
  std::ifstream f(path);
  if (!f) return "";
  return cache[tok] = ordered_json::parse(f)["chat_template"].get<std::string>();
}

// Renders one case and compares with Jinja2's output, or expects an Error where Jinja2 raised.
void check_case(const ordered_json& c, const std::string& source) {
  SCOPED_TRACE(c["id"].get<std::string>());
  Dict vars = Value::from_json(c["vars"]).dict();
  if (c.contains("error")) {
    EXPECT_THROW(
        {
          Template t(source, c["id"].get<std::string>());
          t.render(vars);
        },
        Error)
        << "Jinja2: " << c["error"].get<std::string>();
    return;
  }
  std::string got;
  try {
    got = Template(source, c["id"].get<std::string>()).render(vars);
  } catch (const Error& e) {
    ADD_FAILURE() << "threw: " << e.what();
    return;
  }
  EXPECT_EQ(got, c["output"].get<std::string>());
}

TEST(JinjaGolden, EngineFeaturesMatchJinja2) {
  ordered_json g = load_golden();
  int n = 0;
  for (const auto& c : g["cases"]) {
    if (!c.contains("source")) continue;
    check_case(c, c["source"].get<std::string>());
    ++n;
  }
  EXPECT_GT(n, 30);
}

TEST(JinjaGolden, TokenizerTemplatesMatchJinja2) {
  AXOLOTL_REQUIRE_SHARED();
  ordered_json g = load_golden();
  int n = 0;
  for (const auto& c : g["cases"]) {
    if (!c.contains("tokenizer")) continue;
    std::string src = tokenizer_template(c["tokenizer"].get<std::string>());
    if (src.empty()) GTEST_SKIP() << "tokenizer_config.json of " << c["tokenizer"] << " absent";
    check_case(c, src);
    ++n;
  }
  EXPECT_GT(n, 50);
}

}  // namespace
}  // namespace axolotl::data::jinja
