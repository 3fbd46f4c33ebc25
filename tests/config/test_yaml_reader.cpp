// YAML syntax errors caused by indentation carry a hint naming the lines and columns that disagree,
// as the tab-in-indentation error does.
#include <gtest/gtest.h>

#include "axolotl/config/loader.h"

namespace axolotl::config {
namespace {

Diagnostic first_problem(const std::string& yaml) {
  try {
    load_string(yaml, "t.yml", {});
  } catch (const ConfigError& e) {
    if (!e.problems().empty()) return e.problems().front();
  }
  ADD_FAILURE() << "loaded without a problem:\n" << yaml;
  return {};
}

TEST(YamlReader, KeyIndentedUnderAKeyWithAValue) {
  const Diagnostic d = first_problem("base_model: x\n  learning_rate: 1\n");
  EXPECT_NE(d.message.find("YAML syntax error"), std::string::npos) << d.str();
  EXPECT_EQ(d.where.line, 2);
  EXPECT_NE(d.hint.find("line 2 is indented more than line 1"), std::string::npos) << d.str();
  EXPECT_NE(d.hint.find("end line 1 with ':'"), std::string::npos) << d.str();
}

TEST(YamlReader, DatasetKeyOutOfLineWithItsItem) {
  // type: is one space left of path:'s column (4).
  const Diagnostic d = first_problem("base_model: x\ndatasets:\n  - path: a.json\n   type: alpaca\n");
  EXPECT_EQ(d.where.line, 4) << d.str();
  EXPECT_NE(d.hint.find("line 4 is indented 3 spaces, a column no key above it uses"), std::string::npos) << d.str();
  EXPECT_NE(d.hint.find("line 3's key is at 4"), std::string::npos) << d.str();
}

TEST(YamlReader, SectionKeyDedentedToAnUnusedColumn) {
  const Diagnostic d = first_problem("base_model: x\nlora:\n  r: 8\n alpha: 16\n");
  EXPECT_NE(d.hint.find("line 4 is indented 1 space, a column no key above it uses"), std::string::npos) << d.str();
}

TEST(YamlReader, OtherSyntaxErrorsGetNoIndentationHint) {
  const Diagnostic d = first_problem("base_model: x\nlr: [1, 2\n");
  EXPECT_NE(d.message.find("YAML syntax error"), std::string::npos) << d.str();
  EXPECT_EQ(d.hint.find("indent"), std::string::npos) << d.str();
}

TEST(YamlReader, TabsKeepTheirOwnHint) {
  const Diagnostic d = first_problem("base_model: x\nlora:\n\tr: 8\n");
  EXPECT_EQ(d.message, "tab in indentation");
  EXPECT_EQ(d.hint, "YAML indents with spaces only");
}

}  // namespace
}  // namespace axolotl::config
