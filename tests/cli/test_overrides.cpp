// Within one command line the later of the flat form (--learning-rate) and the nested form
// (--set training.learning_rate=) wins, whichever order they come in.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace axolotl::testing {
namespace {

double learning_rate(const std::vector<std::string>& extra) {
  TempDir dir;
  const auto cfg = dir / "c.yml";
  write_file(cfg, "base_model: " + (dir / "not-yet").string() + "\nlearning_rate: 0.5\n");
  std::vector<std::string> args{"validate", cfg.string(), "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_axolotl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("config")) {
    ADD_FAILURE() << r.out;
    return -1;
  }
  return j["config"]["training"]["learning_rate"].get<double>();
}

TEST(Overrides, TheLaterOfFlatAndNestedWins) {
  EXPECT_DOUBLE_EQ(learning_rate({}), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate({"--learning-rate", "0.1", "--set", "training.learning_rate=0.2"}), 0.2);
  EXPECT_DOUBLE_EQ(learning_rate({"--set", "training.learning_rate=0.2", "--learning-rate", "0.1"}), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate({"--set=training.learning_rate=0.2", "--learning_rate=0.1"}), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate({"--learning_rate=0.1", "--set=training.learning_rate=0.2"}), 0.2);
  // Three in a row: flat, nested, flat.
  EXPECT_DOUBLE_EQ(learning_rate({"--learning-rate", "0.1", "--set", "training.learning_rate=0.2", "--learning-rate",
                                  "0.3"}),
                   0.3);
  // A bare flag between them keeps its place too.
  EXPECT_DOUBLE_EQ(learning_rate({"--sample-packing", "--set", "training.learning_rate=0.2"}), 0.2);
}

}  // namespace
}  // namespace axolotl::testing
