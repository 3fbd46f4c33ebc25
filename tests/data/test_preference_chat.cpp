// The chat-template preference strategies (dpo/chat_template.py default and argilla_chat, ORPO's
// orpo/chat_template.py argilla) on four of Axolotl's named templates, and the string strategies
// zephyr.nectar and passthrough, against Axolotl's own functions run from the mirror
// (tests/reference/preference_chat_reference.py). Error cases are rows Axolotl's function raises on.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "axolotl/data/chat_template.h"
#include "axolotl/data/preference_strategy.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

using nlohmann::json;

PreferenceText render_case(const json& c, const ChatTemplate* tmpl, const ChatVars& vars) {
  const std::string type = c["type"];
  if (c["template"].get<std::string>().empty()) return render_preference(type, c["row"]);
  ChatPreference p;
  p.chat_template = tmpl;
  p.vars = vars;
  const auto& s = c["settings"];
  if (s.contains("field_messages")) p.field_messages = s["field_messages"];
  if (s.contains("field_chosen")) p.field_chosen = s["field_chosen"];
  if (s.contains("field_rejected")) p.field_rejected = s["field_rejected"];
  if (s.contains("message_property_mappings")) p.property_mappings = s["message_property_mappings"];
  if (s.contains("roles")) p.roles = s["roles"].get<std::map<std::string, std::vector<std::string>>>();
  if (type == "chat_template.argilla") return render_orpo_argilla(c["row"], p);
  if (type == "chat_template.argilla_chat") return render_argilla_chat_preference(c["row"], p);
  EXPECT_EQ(type, "chat_template.default");
  return render_chat_preference(c["row"], p);
}

TEST(PreferenceChat, EveryChatStrategyRendersAxolotlsStrings) {
  const auto g = json::parse(testing::read_file(testing::source_dir() / "tests/assets/data/preference_chat_golden.json"));
  ChatVars vars;
  vars.bos_token = g["special"]["bos_token"];
  vars.eos_token = g["special"]["eos_token"];
  std::map<std::string, std::unique_ptr<ChatTemplate>> templates;
  std::set<std::string> seen;
  size_t errors = 0;
  for (const auto& c : g["cases"]) {
    const std::string name = c["template"];
    if (!name.empty() && !templates.count(name))
      templates[name] = std::make_unique<ChatTemplate>(name, *named_chat_template_source(name));
    const ChatTemplate* tmpl = name.empty() ? nullptr : templates[name].get();
    const std::string where = c["type"].get<std::string>() + " (" + name + ") " + c["row"].dump();
    const auto& want = c["want"];
    seen.insert(c["type"].get<std::string>() + " " + name);
    if (want.contains("error")) {
      EXPECT_THROW(render_case(c, tmpl, vars), Error) << where;
      ++errors;
      continue;
    }
    const PreferenceText t = render_case(c, tmpl, vars);
    EXPECT_EQ(t.prompt, want["prompt"].get<std::string>()) << where;
    EXPECT_EQ(t.chosen, want["chosen"].get<std::string>()) << where;
    EXPECT_EQ(t.rejected, want["rejected"].get<std::string>()) << where;
  }
  EXPECT_EQ(seen.size(), 3u * 4 + 2) << "3 chat strategies on 4 templates, and the 2 string strategies";
  EXPECT_GE(errors, 10u) << "rows Axolotl raises on are in the golden";
}

TEST(PreferenceChat, NewStrategiesAreKnownByName) {
  for (const char* t : {"chat_template.argilla_chat", "zephyr.nectar", "passthrough", "passthrough.default"})
    EXPECT_TRUE(is_preference_type(t)) << t;
  EXPECT_FALSE(is_preference_type("zephyr"));  // Axolotl: zephyr.default does not exist
  // passthrough's string renderer refuses other JSON, naming the conversational form it also reads
  // (the row encoder sends message lists to conversational_preference.h first).
  try {
    render_preference("passthrough", {{"prompt", 7}, {"chosen", "a"}, {"rejected", "b"}});
    FAIL() << "a number prompt was accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.diagnostic().hint.find("{role, content}"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace axolotl::data
