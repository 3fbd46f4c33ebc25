// Axolotl's unfrozen_parameters patterns: literal dots (except before '+'), re.match anchoring, the
// row-range forms, and bad patterns as ConfigErrors naming the key.
#include <gtest/gtest.h>

#include "axolotl/config/unfreeze_pattern.h"
#include "axolotl/util/error.h"

namespace axolotl::config {
namespace {

TEST(UnfreezePattern, DotsAreLiteralUnlessAPlusFollows) {
  const auto p = parse_unfreeze_pattern("model.layers.2[0-9]+.mlp");
  EXPECT_TRUE(p.matches("model.layers.21.mlp.up_proj.weight"));
  EXPECT_FALSE(p.matches("modelXlayers.21.mlp.up_proj.weight"));
  EXPECT_FALSE(p.matches("base.model.layers.21.mlp"));  // anchored at the start
  EXPECT_TRUE(parse_unfreeze_pattern("a.+z").matches("abcz"));  // ".+" stays a wildcard
  EXPECT_FALSE(p.row_begin.has_value());
}

TEST(UnfreezePattern, RowRanges) {
  auto one = parse_unfreeze_pattern("^model.embed_tokens.weight$[7]");
  EXPECT_EQ(*one.row_begin, 7);
  EXPECT_EQ(*one.row_end, 8);
  EXPECT_TRUE(one.matches("model.embed_tokens.weight"));
  auto tail = parse_unfreeze_pattern("^lm_head.weight$[32000:]");
  EXPECT_EQ(*tail.row_begin, 32000);
  EXPECT_FALSE(tail.row_end.has_value());
  auto head = parse_unfreeze_pattern("^lm_head.weight$[:10]");
  EXPECT_EQ(*head.row_begin, 0);
  EXPECT_EQ(*head.row_end, 10);
}

TEST(UnfreezePattern, BadPatternsAreConfigErrors) {
  EXPECT_THROW(parse_unfreeze_pattern("^model.(layers"), ConfigError);
  EXPECT_THROW(parse_unfreeze_pattern("^lm_head.weight$[5:3]"), ConfigError);
  try {
    parse_unfreeze_pattern("x[9:1]");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.problems().at(0).key, "unfrozen_parameters");
  }
}

}  // namespace
}  // namespace axolotl::config
