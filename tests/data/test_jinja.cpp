// Unit tests of the Jinja engine: errors name line, column and construct; parse once, render many;
// namespaces carry state while plain sets stay in their loop iteration.
#include <gtest/gtest.h>

#include "axolotl/data/jinja/template.h"
#include "axolotl/util/error.h"

namespace axolotl::data::jinja {
namespace {

Diagnostic error_of(const std::string& src, const Dict& vars = {}) {
  try {
    Template(src, "t.jinja").render(vars);
  } catch (const Error& e) {
    return e.diagnostic();
  }
  ADD_FAILURE() << "no error for: " << src;
  return {};
}

TEST(Jinja, UnsupportedTagNamesLineColumnAndConstruct) {
  Diagnostic d = error_of("line one\n  {% include 'x.jinja' %}");
  EXPECT_EQ(d.where.file, "t.jinja");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_EQ(d.where.column, 6);
  EXPECT_NE(d.message.find("{% include %}"), std::string::npos) << d.message;
}

TEST(Jinja, UnsupportedFilterAndTestAreParseErrors) {
  Diagnostic d = error_of("{{ x }}\n{{ x | wordwrap }}");
  EXPECT_EQ(d.where.line, 2);
  EXPECT_EQ(d.where.column, 8);
  EXPECT_EQ(d.found, "wordwrap");
  EXPECT_EQ(error_of("{{ x is escaped }}").found, "escaped");
  EXPECT_NE(error_of("{% for x in xs recursive %}{% endfor %}").message.find("recursive"), std::string::npos);
  EXPECT_NE(error_of("{{ '%s' % x }}").message.find("printf-style"), std::string::npos);
}

TEST(Jinja, RaiseExceptionCarriesTheMessageAndPosition) {
  Diagnostic d = error_of("ok\n{% if true %}{{ raise_exception('bad roles') }}{% endif %}");
  EXPECT_EQ(d.found, "bad roles");
  EXPECT_EQ(d.where.line, 2);
}

TEST(Jinja, UndefinedPrintsEmptyButDeeperAccessFails) {
  EXPECT_EQ(Template("[{{ a }}][{{ a|length }}][{{ d.x }}]").render({{{"d", Value(Dict{})}}}), "[][0][]");
  Diagnostic d = error_of("{{ a.b.c }}");
  EXPECT_EQ(d.where.column, 5);  // the first `.`: `a` itself is undefined
}

TEST(Jinja, ParsedOnceRendersManyTimesWithDifferentVariables) {
  Template t("{% for m in messages %}{{ m.role }}:{{ m.content | trim }};{% endfor %}");
  for (int i = 0; i < 100; ++i) {
    Dict m;
    m.set("role", Value("user"));
    m.set("content", Value(" " + std::to_string(i) + " "));
    Dict vars;
    vars.set("messages", Value(List{Value(m)}));
    ASSERT_EQ(t.render(vars), "user:" + std::to_string(i) + ";");
  }
}

TEST(Jinja, ImmutableSandboxRefusesMutation) {
  EXPECT_NE(error_of("{% set d = {} %}{{ d.update({'a': 1}) }}").message.find("unsafe"), std::string::npos);
  EXPECT_EQ(Template("{% set ns = namespace(a=[]) %}{% set ns.a = ns.a + [1] %}{{ ns.a }}").render({}), "[1]");
}

}  // namespace
}  // namespace axolotl::data::jinja
