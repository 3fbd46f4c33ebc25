#include <gtest/gtest.h>

#include "axolotl/util/error.h"

namespace axolotl {

TEST(Diagnostic, FormatsAllParts) {
  Diagnostic d{{"cfg.yml", 3, 5}, "lora_r", "must be positive", "0", "an integer >= 1", "try 8 or 16"};
  EXPECT_EQ(d.str(), "cfg.yml:3:5: lora_r: must be positive (found 0, expected an integer >= 1)\n  hint: try 8 or 16");
}

TEST(Diagnostic, OmitsEmptyParts) {
  Diagnostic d{{}, {}, "boom", {}, {}, {}};
  EXPECT_EQ(d.str(), "boom");
}

TEST(ConfigError, CollectsEveryProblemAndExitsTwo) {
  ConfigError e({Diagnostic{{"a.yml", 1, 1}, "x", "bad", {}, {}, {}},
                 Diagnostic{{"a.yml", 2, 1}, "y", "worse", {}, {}, {}}});
  EXPECT_EQ(e.problems().size(), 2u);
  EXPECT_EQ(e.exit_code(), 2);
  EXPECT_NE(std::string(e.what()).find("a.yml:2:1: y: worse"), std::string::npos);
}

TEST(Error, RuntimeErrorsExitOne) {
  EXPECT_EQ(IoError("x").exit_code(), 1);
  EXPECT_EQ(UsageError("x").exit_code(), 2);
}

}  // namespace axolotl
