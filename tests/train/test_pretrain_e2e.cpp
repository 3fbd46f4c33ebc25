// `axolotl train` on pretraining_dataset through the real executable and the tiny model of
// `axolotl create-tiny`: a streamed run stopped at a checkpoint and resumed repeats the uninterrupted
// one bit for bit (losses and weights; the stream position is in training_progress.json), and the
// shapes of Axolotl's pretraining examples (examples/streaming, tiny-llama, qwen2, diffusion) with
// local files either train 2 steps or are refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "axolotl/train/metrics_writer.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

class PretrainE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", model().string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Documents of varied length, as text lines and as JSONL with a `text` column.
    std::ifstream in(testing::source_dir() / "examples/tiny/corpus.txt");
    std::string line, text, jsonl;
    int n = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      text += line + "\n";
      jsonl += nlohmann::json{{"text", line}, {"id", n++}}.dump() + "\n";
    }
    ASSERT_GT(n, 20);
    testing::write_file(dir_->path() / "corpus.txt", text);
    fs::create_directories(dir_->path() / "jsonl");
    testing::write_file(dir_->path() / "jsonl/part-0.jsonl", jsonl);
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model() { return dir_->path() / "tiny-model"; }

  static fs::path write_config(const fs::path& out, const std::string& yaml) {
    const fs::path p = out.string() + ".yml";
    testing::write_file(p, "base_model: " + model().string() + "\noutput_dir: " + out.string() + "\n" + yaml);
    return p;
  }

  static std::vector<double> losses(const fs::path& out) {
    std::vector<double> v;
    for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
      if (j.contains("loss")) v.push_back(j["loss"].get<double>());
    return v;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* PretrainE2E::dir_ = nullptr;

TEST_F(PretrainE2E, ResumedStreamRepeatsTheUninterruptedRunBitForBit) {
  const std::string yaml = "pretraining_dataset:\n  - path: " + (dir_->path() / "corpus.txt").string() +
                           "\n    type: pretrain\n    skip: 3\nstreaming: true\nmax_steps: 8\nsave_steps: 4\n"
                           "sequence_len: 64\nsample_packing: true\nmicro_batch_size: 2\n"
                           "gradient_accumulation_steps: 2\nadapter: lora\nlora_r: 4\nlora_alpha: 8\n"
                           "lora_dropout: 0.1\nlora_target_linear: true\nlearning_rate: 0.003\nwarmup_steps: 2\n"
                           "bf16: false\nseed: 11\nlogging_steps: 1\n";
  const fs::path a = dir_->path() / "stream-straight";
  auto r = run_axolotl({"train", write_config(a, yaml).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("streaming 1 file(s)"), std::string::npos) << r.err;
  const auto progress = nlohmann::json::parse(testing::read_file(a / "checkpoint-4/training_progress.json"));
  ASSERT_TRUE(progress.contains("stream")) << progress.dump();
  EXPECT_EQ(progress["stream"]["position"]["rows"], 4 * 2 * 2) << "4 steps x 2 micro-batches x 2 rows";
  EXPECT_EQ(progress["stream"]["skip"], 3);
  EXPECT_NE(testing::read_file(a / "checkpoint-4/axolotl_config.yml").find("pretraining_dataset"), std::string::npos);

  const fs::path b = dir_->path() / "stream-resumed";
  fs::create_directories(b);
  fs::copy(a / "checkpoint-4", b / "checkpoint-4", fs::copy_options::recursive);
  r = run_axolotl({"train", write_config(b, yaml + "auto_resume_from_checkpoints: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  const auto la = losses(a), lb = losses(b);
  ASSERT_EQ(la.size(), 8u);
  ASSERT_EQ(lb.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(la[4 + i], lb[i]) << "step " << 5 + i;
  EXPECT_EQ(testing::read_file(a / "adapter_model.safetensors"), testing::read_file(b / "adapter_model.safetensors"));
  EXPECT_LT((la[6] + la[7]) / 2, (la[0] + la[1]) / 2) << "the loss falls";

  // the same checkpoint with another file: refused, not silently misread
  const fs::path c = dir_->path() / "stream-other";
  fs::create_directories(c);
  fs::copy(a / "checkpoint-4", c / "checkpoint-4", fs::copy_options::recursive);
  std::string other = yaml + "auto_resume_from_checkpoints: true\n";
  other.replace(other.find((dir_->path() / "corpus.txt").string()), (dir_->path() / "corpus.txt").string().size(),
                (dir_->path() / "jsonl").string());
  r = run_axolotl({"train", write_config(c, other).string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("other files"), std::string::npos) << r.err;
}

TEST_F(PretrainE2E, MissingMaxStepsAndMissingFilesAreNamed) {
  const fs::path out = dir_->path() / "stream-bad";
  auto r = run_axolotl({"validate", write_config(out, "pretraining_dataset:\n  - path: " +
                                                          (dir_->path() / "corpus.txt").string() + "\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("max_steps must be set"), std::string::npos) << r.err;
  r = run_axolotl({"train", write_config(out, "pretraining_dataset:\n  - path: " + (dir_->path() / "nope.txt").string() +
                                                  "\nmax_steps: 2\nbf16: false\n").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "checkpoint-1"));
}

// The keys of Axolotl's examples that use pretraining_dataset / streaming, with base_model and the
// data swapped for the tiny model and local files (everything else as those files have it).
TEST_F(PretrainE2E, AxolotlPretrainingExamplesTrainTwoStepsOrAreRefusedByName) {
  const std::string corpus = (dir_->path() / "corpus.txt").string(), jsonl = (dir_->path() / "jsonl").string();
  const std::string common = "bf16: auto\ntf32: true\nwandb_project:\nwandb_entity:\nwandb_watch:\nwandb_name:\n"
                             "wandb_log_model:\nattn_implementation: flash_attention_2\nlogging_steps: 1\n";
  struct Example {
    const char* name;
    std::string yaml;
    const char* refused;  // the key named by the refusal, or nullptr: trains
  };
  const std::vector<Example> examples = {
      {"streaming/pretrain", "pretraining_dataset:\n  - path: " + jsonl + "\n    name:\n    type: pretrain\n"
       "    text_column: text\n    split: train\nstreaming_multipack_buffer_size: 10000\nshuffle_merged_datasets: true\n"
       "max_steps: 1000\nsequence_len: 128\nsample_packing: true\npretrain_multipack_attn: true\n"
       "gradient_accumulation_steps: 8\nmicro_batch_size: 1\noptimizer: adamw_torch\nlr_scheduler: cosine\n"
       "learning_rate: 5e-4\nwarmup_ratio: 0.1\nweight_decay: 0.01\nsave_strategy: steps\nsave_steps: 250\n"
       "save_total_limit: 3\nspecial_tokens:\n  pad_token: \"</s>\"\n" + common, nullptr},
      {"streaming/sft", "datasets:\n  - path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() +
       "\n    type: alpaca\n    split: train\nstreaming: true\nstreaming_multipack_buffer_size: 10000\n"
       "shuffle_merged_datasets: true\nmax_steps: 1000\nsequence_len: 128\nsample_packing: true\n"
       "gradient_accumulation_steps: 4\nmicro_batch_size: 1\noptimizer: adamw_torch\nlr_scheduler: cosine\n"
       "learning_rate: 2e-4\nwarmup_ratio: 0.1\nweight_decay: 0.0\nsave_strategy: steps\nsave_steps: 100\n"
       "save_total_limit: 3\n" + common, nullptr},
      {"archived/tiny-llama/pretrain", "model_type: LlamaForCausalLM\ntokenizer_type: LlamaTokenizer\nmax_steps: 200\n"
       "pretraining_dataset:\n  - path: " + corpus + "\n    type: pretrain\ndataset_prepared_path:\nval_set_size: 0.0\n"
       "sequence_len: 128\nsample_packing: true\ngradient_accumulation_steps: 4\nmicro_batch_size: 2\nnum_epochs: 4\n"
       "optimizer: adamw_bnb_8bit\nlr_scheduler: cosine\nlearning_rate: 0.0002\ngradient_checkpointing: true\n"
       "resume_from_checkpoint:\nwarmup_ratio: 0.1\nevals_per_epoch:\nsaves_per_epoch: 1\nweight_decay: 0.0\n"
       "special_tokens:\n" + common, nullptr},
      {"qwen2/adamw-pretrain-fsdp2", "reinit_weights: true\npretraining_dataset:\n  - path: " + corpus +
       "\n    type: pretrain\n    split: train\nmax_steps: 305\nsequence_len: 128\nsample_packing: true\n"
       "micro_batch_size: 4\n" + common, nullptr},
      {"llama-3/diffusion/pretrain-1b", "pretraining_dataset:\n  - path: " + corpus + "\n    type: completion\n"
       "    field: text\nplugins:\n  - axolotl.integrations.diffusion.DiffusionPlugin\ndiffusion:\n  eps: 5e-4\n"
       "max_steps: 10000\nsequence_len: 128\nsample_packing: true\n" + common, "diffusion"},
  };
  for (const auto& e : examples) {
    SCOPED_TRACE(e.name);
    const fs::path out = dir_->path() / ("example-" + std::string(e.name).substr(0, std::string(e.name).find('/')) +
                                         std::to_string(&e - examples.data()));
    const fs::path cfg = write_config(out, e.yaml);
    auto r = run_axolotl({"validate", cfg.string()});
    if (e.refused) {
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_NE(r.err.find(e.refused), std::string::npos) << r.err;
      continue;
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_axolotl({"train", cfg.string(), "--set", "max_steps=2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(losses(out).size(), 2u);
    if (e.yaml.find("reinit_weights: true") != std::string::npos) {
      EXPECT_NE((r.out + r.err).find("reinit_weights: random weights"), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace axolotl::train
