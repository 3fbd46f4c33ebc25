// model_config (Axolotl's overrides_of_model_config) through the real executable on the tiny model: the
// override reaches the model (rope_theta changes the first loss), the written config.json of a full
// fine-tune and of `merge`, and `validate`'s model checks (an inconsistent override is named).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "logged_values.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;
using testing_support::logged_values;

TEST(ConfigOverridesE2E, ModelConfigReachesTheModelAndTheWrittenConfigs) {
  testing::TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir.path() / "tiny").string(), "--corpus",
                        (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cfg = [&](const fs::path& out, const std::string& extra) {
    return testing::write_alpaca_config(
        out, {{"base_model", (dir.path() / "tiny").string()}, {"output_dir", out.string()},
              {"dataset_prepared_path", (dir.path() / "prepared").string()}, {"sequence_len", "128"},
              {"micro_batch_size", "2"}, {"max_steps", "1"}, {"bf16", "false"}, {"seed", "3"},
              {"logging_steps", "1"}},
        extra);
  };
  const fs::path plain = dir.path() / "plain", over = dir.path() / "over";
  r = run_axolotl({"train", cfg(plain, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", cfg(over, "model_config: {rope_theta: 20.0, output_router_logits: true}\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("config.json values replaced before the model is built: rope_theta, output_router_logits"),
            std::string::npos) << r.err;
  const auto a = logged_values(plain, "loss"), b = logged_values(over, "loss");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0], b[0]) << "rope_theta 20 instead of 10000 changes the forward";
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(over / "config.json"))["rope_theta"].get<double>(), 20.0);

  // merge writes the override into the merged config.json (as save_pretrained of the loaded config).
  const fs::path lora = dir.path() / "lora";
  r = run_axolotl({"train", cfg(lora, "adapter: lora\nlora_r: 4\nlora_alpha: 8\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::write_file(dir.path() / "merge.yml", "base_model: " + (dir.path() / "tiny").string() +
                                                    "\nadapter: lora\nlora_model_dir: " + lora.string() +
                                                    "\nmodel_config: {rope_theta: 20.0}\nbf16: false\n"
                                                    "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  r = run_axolotl({"merge", (dir.path() / "merge.yml").string(), "--output", (dir.path() / "merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(dir.path() / "merged/config.json"))["rope_theta"].get<double>(), 20.0);

  // validate checks the overridden config: 4 heads cannot share 3 key/value heads.
  r = run_axolotl({"validate", cfg(dir.path() / "bad", "model_config: {num_key_value_heads: 3}\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("num_key_value_heads"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::train
