// Named chat templates render exactly as Axolotl's own (goldens from Jinja2 over Axolotl's .jinja
// files: tests/reference/chat_template_render.py), and the template choice follows Axolotl's
// get_chat_template (tokenizer_default, fallback, jinja inline or file, named).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "axolotl/data/chat_template.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

using nlohmann::ordered_json;

TEST(ChatTemplate, NamedTemplatesMatchAxolotlsRenders) {
  std::ifstream f(testing::source_dir() / "tests/assets/jinja_render_golden.json");
  ordered_json g = ordered_json::parse(f);
  int n = 0;
  for (const auto& c : g["cases"]) {
    if (!c.contains("named")) continue;
    SCOPED_TRACE(c["id"].get<std::string>());
    auto src = named_chat_template_source(c["named"].get<std::string>());
    ASSERT_TRUE(src.has_value());
    jinja::Dict vars = jinja::Value::from_json(c["vars"]).dict();
    jinja::Template t(*src, c["named"].get<std::string>());
    if (c.contains("error")) {
      EXPECT_THROW(t.render(vars), Error) << c["error"];
    } else {
      try {
        EXPECT_EQ(t.render(vars), c["output"].get<std::string>());
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
    ++n;
  }
  EXPECT_GE(n, 13 * 20);
}

TEST(ChatTemplate, EveryNamedTemplateIsThere) {
  for (const char* name : {"chatml", "llama2", "llama3", "qwen_25", "qwen3", "gemma", "gemma3", "phi_3", "phi_4",
                           "mistral_v1", "mistral_v2v3", "mistral_v3_tekken", "alpaca", "mistral"}) {
    EXPECT_TRUE(named_chat_template_source(name).has_value()) << name;
  }
  EXPECT_FALSE(named_chat_template_source("nope").has_value());
}

TEST(ChatTemplate, RenderPassesSpecialTokensAndGenerationPrompt) {
  ChatTemplate t = resolve_chat_template("llama3", "", "");
  ChatVars v;
  v.bos_token = "<B>";
  std::string out = t.render(std::vector<Message>{{"user", " hi "}}, v, true);
  EXPECT_EQ(out, "<B><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, ChoiceFollowsAxolotl) {
  testing::TempDir dir;
  EXPECT_THROW(resolve_chat_template("tokenizer_default", "", dir.path().string()), ConfigError);
  EXPECT_EQ(resolve_chat_template("tokenizer_default_fallback_chatml", "", dir.path().string()).name(), "chatml");
  EXPECT_THROW(resolve_chat_template("no_such_template", "", ""), ConfigError);
  EXPECT_THROW(resolve_chat_template("jinja", "", ""), ConfigError);
  EXPECT_EQ(resolve_chat_template("jinja", "{{ messages[0].content }}!", "").render(std::vector<Message>{{"user", "x"}}, ChatVars{}), "x!");
  testing::write_file(dir / "t.jinja", "[{{ messages | length }}]\n");
  EXPECT_EQ(resolve_chat_template("jinja", (dir / "t.jinja").string(), "").render(std::vector<Message>{{"user", "x"}}, ChatVars{}), "[1]");

  // tokenizer_config.json: string form and the named-list form
  testing::write_file(dir / "tokenizer_config.json", R"({"chat_template": "own {{ bos_token }}"})");
  ChatVars v;
  v.bos_token = "<s>";
  EXPECT_EQ(resolve_chat_template("", "", dir.path().string()).render(std::vector<Message>{}, v), "own <s>");
  EXPECT_EQ(resolve_chat_template("tokenizer_default_fallback_chatml", "", dir.path().string()).name(),
            "tokenizer_default");
  testing::write_file(dir / "tokenizer_config.json",
                      R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  EXPECT_EQ(resolve_chat_template("tokenizer_default", "", dir.path().string()).render(std::vector<Message>{}, v), "D");
}

TEST(ChatTemplate, TemplateOutsideTheSubsetIsAnErrorAtResolve) {
  try {
    resolve_chat_template("jinja", "ok\n{% extends 'base' %}", "");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.diagnostic().where.line, 2);
    EXPECT_NE(e.diagnostic().message.find("extends"), std::string::npos);
  }
}

}  // namespace
}  // namespace axolotl::data
