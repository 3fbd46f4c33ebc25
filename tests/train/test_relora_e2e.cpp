// ReLoRA (relora: true with jagged_restart_steps, Axolotl's examples/llama-2/relora.yml keys) through the
// real executable on the tiny model: restarts at steps 2 and 4 of 5, each checkpoint after a restart
// holds the merged base (checkpoint-3/relora is the base merged with checkpoint-2's adapter, as `axolotl
// merge` computes it), the final output is the whole merged model, the learning rate restarts, and a
// QLoRA run resumed from a checkpoint after a restart continues bit for bit.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "logged_values.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;
using testing_support::logged_values;


class ReLoraE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny").string(), "--corpus",
                          (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path config(const fs::path& out, const std::string& extra) {
    return testing::write_alpaca_config(
        out, {{"base_model", (dir_->path() / "tiny").string()}, {"output_dir", out.string()},
              {"dataset_prepared_path", (dir_->path() / "prepared").string()}, {"sequence_len", "128"},
              {"micro_batch_size", "2"}, {"max_steps", "5"}, {"learning_rate", "0.01"}, {"bf16", "false"},
              {"seed", "3"}, {"logging_steps", "1"}, {"save_steps", "1"}, {"adapter", "lora"}, {"lora_r", "4"},
              {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"relora", "true"},
              {"relora_prune_ratio", "0.9"}, {"jagged_restart_steps", "2"}, {"jagged_restart_warmup_steps", "1"},
              {"jagged_restart_anneal_steps", "false"}, {"lr_scheduler", "constant"}},
        extra);
  }
  static testing::TempDir* dir_;
};
testing::TempDir* ReLoraE2E::dir_ = nullptr;

TEST_F(ReLoraE2E, RestartsMergeIntoTheBaseAndTheOutputIsTheMergedModel) {
  const fs::path a = dir_->path() / "lora";
  auto r = run_axolotl({"train", config(a, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ReLoRA restart 1 at step 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ReLoRA restart 2 at step 4"), std::string::npos) << r.err;
  // jagged restarts (warm-up 1, anneal 1, constant inner rate): the rate drops to 0.001× around each restart.
  const auto lr = logged_values(a, "learning_rate");
  ASSERT_EQ(lr.size(), 5u);
  EXPECT_DOUBLE_EQ(lr[0], 0.01);
  EXPECT_DOUBLE_EQ(lr[1], 0.01 * 0.001);
  EXPECT_DOUBLE_EQ(lr[3], 0.01 * 0.001);
  EXPECT_FALSE(fs::exists(a / "checkpoint-2" / "relora")) << "no restart before step 2 ended";
  ASSERT_TRUE(fs::exists(a / "checkpoint-3" / "relora" / "model.safetensors"));
  ASSERT_TRUE(fs::exists(a / "checkpoint-5" / "relora" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(a / "model.safetensors")) << "the merged model";
  EXPECT_FALSE(fs::exists(a / "adapter_model.safetensors"));
  EXPECT_FALSE(fs::exists(a / "relora")) << "the work folder is removed";
  EXPECT_NE(testing::read_file(a / "README.md").find("library_name: transformers"), std::string::npos);

  // The restart at step 2 merged checkpoint-2's adapter into the base, as `axolotl merge` does.
  const fs::path merged = dir_->path() / "merged-2";
  testing::write_file(dir_->path() / "merge.yml", "base_model: " + (dir_->path() / "tiny").string() +
                                                      "\nadapter: lora\nlora_model_dir: " + (a / "checkpoint-2").string() +
                                                      "\nbf16: false\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  r = run_axolotl({"merge", (dir_->path() / "merge.yml").string(), "--output", merged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_file(merged / "model.safetensors"),
            testing::read_file(a / "checkpoint-3" / "relora" / "model.safetensors"));
  // The final model is checkpoint-5's base with checkpoint-5's adapter merged in.
  const fs::path last = dir_->path() / "merged-5";
  testing::write_file(dir_->path() / "merge5.yml", "base_model: " + (a / "checkpoint-5" / "relora").string() +
                                                       "\ntokenizer_config: " + (dir_->path() / "tiny").string() +
                                                       "\nadapter: lora\nlora_model_dir: " + (a / "checkpoint-5").string() +
                                                       "\nbf16: false\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  r = run_axolotl({"merge", (dir_->path() / "merge5.yml").string(), "--output", last.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_file(last / "model.safetensors"), testing::read_file(a / "model.safetensors"));
  EXPECT_NE(testing::read_file(merged / "model.safetensors"), testing::read_file(a / "model.safetensors"));
}

TEST_F(ReLoraE2E, QloraResumesExactlyAfterARestart) {
  const std::string qlora = "adapter: qlora\nload_in_4bit: true\n";
  const fs::path a = dir_->path() / "qlora";
  auto r = run_axolotl({"train", config(a, qlora).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto la = logged_values(a, "loss");
  ASSERT_EQ(la.size(), 5u);
  const fs::path b = dir_->path() / "qlora-resumed";
  fs::create_directories(b);
  fs::copy(a / "checkpoint-3", b / "checkpoint-3", fs::copy_options::recursive);
  r = run_axolotl({"train", config(b, qlora + "auto_resume_from_checkpoints: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed the merged base of 1 restart"), std::string::npos) << r.err;
  const auto lb = logged_values(b, "loss");
  ASSERT_EQ(lb.size(), 2u);
  EXPECT_EQ(la[3], lb[0]);
  EXPECT_EQ(la[4], lb[1]);
  EXPECT_EQ(testing::read_file(a / "model.safetensors"), testing::read_file(b / "model.safetensors"));
}

TEST_F(ReLoraE2E, ConfigErrorsNameWhatIsMissing) {
  const fs::path c = dir_->path() / "bad";
  auto r = run_axolotl({"validate", config(c, "jagged_restart_steps: null\noptimizer: sgd\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("jagged_restart_steps"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ReLoRA prunes Adam's moments"), std::string::npos) << r.err;
  r = run_axolotl({"validate", config(c, "peft: {loftq_config: {loftq_bits: 4}}\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("LoftQ replaces"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::train
