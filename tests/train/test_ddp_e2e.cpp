// Data-parallel `axolotl train` through the real executable on the tiny model: 2 ranks × micro-batch
// 2 (--nproc-per-node 2, Gloo, fp32; bf16 to bf16 precision) give the losses and adapter weights of 1 process × micro-batch 4
// to 1e-5 (evaluation included), with and without sample packing; a resumed 2-rank run with dropout
// repeats the uninterrupted one bit for bit; a lone rank fails naming the missing one. Also the row
// split of micro-batches.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "axolotl/io/safetensors.h"
#include "axolotl/train/checkpoint.h"
#include "axolotl/train/launcher.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/trainer_shard.h"
#include "axolotl/train/trainer_state.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

TEST(RankShare, SharesOfAGlobalMicroBatchAreItsRowsWithTheirCounts) {
  data::Batch g;  // 3 rows × 4: row 0 two samples, row 1 one sample + padding, row 2 padding only
  g.rows = 3;
  g.seq_len = 4;
  g.input_ids = {5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0, 0};
  g.labels = {-100, 6, -100, 8, -100, 10, -100, -100, -100, -100, -100, -100};
  g.position_ids = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3};
  g.segment_ids = {1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0};
  const data::Batch r0 = rank_share(g, 0, 2), r1 = rank_share(g, 1, 2), r2 = rank_share(g, 2, 2);
  EXPECT_EQ(r0.rows, 2);
  EXPECT_EQ(r0.seq_len, 4);
  EXPECT_EQ(r0.samples, 3);
  EXPECT_EQ(r0.tokens, 6);
  EXPECT_EQ(r0.trained_tokens, 3);
  EXPECT_EQ(std::vector<int32_t>(r0.input_ids.begin(), r0.input_ids.end()),
            std::vector<int32_t>(g.input_ids.begin(), g.input_ids.begin() + 8));
  EXPECT_EQ(r1.rows, 1);
  EXPECT_EQ(r1.samples, 0);
  EXPECT_EQ(r1.tokens, 0);
  EXPECT_EQ(r1.position_ids, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(r2.rows, 0);
  EXPECT_TRUE(r2.input_ids.empty());
}

class DdpE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny-model").string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // Flat-dialect LoRA config on the bundled alpaca rows, fp32 on one thread per process; `extra`
  // ("key: value" lines) adds or replaces keys.
  static fs::path config(const fs::path& out, const std::string& extra) {
    std::map<std::string, std::string> keys = {
        {"base_model", (dir_->path() / "tiny-model").string()},
        {"dataset_prepared_path", (dir_->path() / "prepared").string()}, {"output_dir", out.string()},
        {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "8"}, {"lora_alpha", "16"},
        {"lora_target_linear", "true"}, {"micro_batch_size", "4"}, {"gradient_accumulation_steps", "2"},
        {"learning_rate", "0.003"}, {"lr_scheduler", "cosine"}, {"warmup_steps", "1"}, {"float32", "true"},
        {"threads", "1"}, {"seed", "7"}, {"logging_steps", "1"}, {"max_steps", "4"}, {"ddp_timeout", "60"}};
    return testing::write_alpaca_config(out, std::move(keys), extra);
  }

  static std::vector<double> metric(const fs::path& out, const char* key) {
    std::vector<double> v;
    for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
      if (j.contains(key)) v.push_back(j[key].get<double>());
    return v;
  }

  // name → F32 values of a safetensors file.
  static std::map<std::string, std::vector<float>> tensors(const fs::path& file) {
    const std::string bytes = testing::read_file(file);
    const auto h = io::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), file.string());
    std::map<std::string, std::vector<float>> out;
    for (const auto& t : h.tensors) {
      EXPECT_TRUE(t.dtype == io::DType::kF32 || t.dtype == io::DType::kBF16) << t.name;
      std::vector<float> v(static_cast<size_t>(t.numel()));
      const char* data = bytes.data() + h.data_start + t.begin;
      if (t.dtype == io::DType::kBF16) {
        for (size_t i = 0; i < v.size(); ++i) {  // bf16 is the upper half of a float32
          uint16_t half = 0;
          std::memcpy(&half, data + 2 * i, 2);
          const uint32_t bits = static_cast<uint32_t>(half) << 16;
          std::memcpy(&v[i], &bits, 4);
        }
      } else {
        std::memcpy(v.data(), data, v.size() * sizeof(float));
      }
      out[t.name] = std::move(v);
    }
    return out;
  }

  // Runs one process with micro 4 and two ranks with micro 2 on the same config; compares.
  static void expect_equivalent(const std::string& name, const std::string& extra, double tol = 1e-5) {
    const fs::path one = dir_->path() / (name + "-1proc"), two = dir_->path() / (name + "-2proc");
    auto r = run_axolotl({"train", config(one, extra + "micro_batch_size: 4\n").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_axolotl({"train", config(two, extra + "micro_batch_size: 2\n").string(), "--nproc-per-node", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto l1 = metric(one, "loss"), l2 = metric(two, "loss");
    ASSERT_EQ(l1.size(), 4u);
    ASSERT_EQ(l2.size(), 4u) << "rank 1 must not write metrics";
    for (size_t i = 0; i < l1.size(); ++i) EXPECT_NEAR(l1[i], l2[i], tol) << "step " << i + 1;
    const auto t1 = metric(one, "tokens"), t2 = metric(two, "tokens");
    EXPECT_EQ(t1, t2) << "both runs must read the same rows";
    const auto w1 = tensors(one / "adapter_model.safetensors"), w2 = tensors(two / "adapter_model.safetensors");
    ASSERT_EQ(w1.size(), w2.size());
    ASSERT_FALSE(w1.empty());
    for (const auto& [key, v1] : w1) {
      ASSERT_TRUE(w2.count(key)) << key;
      const auto& v2 = w2.at(key);
      ASSERT_EQ(v1.size(), v2.size()) << key;
      float worst = 0.0f;
      for (size_t i = 0; i < v1.size(); ++i) worst = std::max(worst, std::abs(v1[i] - v2[i]));
      EXPECT_LE(worst, static_cast<float>(tol)) << key;
    }
    EXPECT_EQ(read_trainer_state((two / "trainer_state.json").string()).global_step, 4);
    const auto e1 = metric(one, "eval_loss"), e2 = metric(two, "eval_loss");
    ASSERT_EQ(e1.size(), extra.find("eval_steps") != std::string::npos ? 2u : 0u);
    ASSERT_EQ(e1.size(), e2.size());
    for (size_t i = 0; i < e1.size(); ++i) EXPECT_NEAR(e1[i], e2[i], tol) << "evaluation " << i + 1;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* DdpE2E::dir_ = nullptr;

TEST_F(DdpE2E, TwoRanksOfMicroTwoMatchOneProcessOfMicroFour) {
  expect_equivalent("pad", "sample_packing: false\nval_set_size: 0.1\neval_steps: 2\n");
}

TEST_F(DdpE2E, ResumedTwoRankRunRepeatsTheUninterruptedOneWithPerRankDropout) {
  const std::string extra = "micro_batch_size: 2\nlora_dropout: 0.1\nsave_steps: 2\nval_set_size: 0.1\neval_steps: 2\n";
  const fs::path a = dir_->path() / "ddp-straight", b = dir_->path() / "ddp-resumed";
  auto r = run_axolotl({"train", config(a, extra).string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(a / "checkpoint-2" / "rng_state_1.pth"));
  EXPECT_EQ(verify_checkpoint((a / "checkpoint-2").string()), "");
  fs::create_directories(b);
  fs::copy(a / "checkpoint-2", b / "checkpoint-2", fs::copy_options::recursive);
  r = run_axolotl({"train", config(b, extra + "auto_resume_from_checkpoints: true\n").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no generator state"), std::string::npos) << r.err;
  const auto la = metric(a, "loss"), lb = metric(b, "loss");
  ASSERT_EQ(la.size(), 4u);
  ASSERT_EQ(lb.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(la[2 + i], lb[i]) << "step " << 3 + i;
  EXPECT_EQ(metric(a, "eval_loss").back(), metric(b, "eval_loss").back());
  EXPECT_EQ(testing::read_file(a / "adapter_model.safetensors"), testing::read_file(b / "adapter_model.safetensors"));
}

// bf16 (the default on AVX512_BF16 CPUs): Gloo here has no bf16 collectives, so parameters travel
// bit for bit as 16-bit halves and gradients are summed as float32. Two ranks then match one process
// to bf16 precision (the micro-batches of 2 and 4 rows round differently inside the matmuls).
TEST_F(DdpE2E, TwoRanksInBf16MatchOneProcess) {
  expect_equivalent("bf16", "float32: false\nbf16: true\nsample_packing: false\nval_set_size: 0.1\neval_steps: 2\n",
                    2e-2);
}

TEST_F(DdpE2E, TwoRanksMatchOneProcessWithSamplePacking) {
  expect_equivalent("pack", "sample_packing: true\n");
}

// Streaming pretraining: every rank reads the global micro-batch of 2 × 2 rows from the stream and
// trains its own rows (rank r: rows 2r, 2r+1), so 2 ranks repeat 1 process of micro-batch 4.
TEST_F(DdpE2E, TwoRanksMatchOneProcessOnAPretrainingStream) {
  expect_equivalent("stream", "pretraining_dataset: [{path: " +
                                  (testing::source_dir() / "examples/tiny/corpus.txt").string() +
                                  "}]\nsample_packing: true\n");
}

TEST_F(DdpE2E, LoneRankFailsNamingTheMissingRank) {
  const fs::path out = dir_->path() / "lone";
  const std::string port = std::to_string(pick_free_port());
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "0", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", port.c_str(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_axolotl({"train", config(out, "ddp_timeout: 3\n").string()});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(v);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("rank 1"), std::string::npos) << r.err;
  EXPECT_LT(secs, 30.0) << "the 3 s rendezvous timeout must bound the wait";
  EXPECT_FALSE(fs::exists(out / "adapter_model.safetensors"));
}

}  // namespace
}  // namespace axolotl::train
