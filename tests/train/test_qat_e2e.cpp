// `axolotl train` with `qat:` through the real executable on the tiny model of `axolotl create-tiny`
// (tied embeddings, hidden 128, MLP 344): fake quantization changes the losses from the first step,
// fake_quant_after_n_steps leaves the first steps as the plain run's, the saved model has the plain
// parameter names, LoRA trains over a fake-quantized base, nvfp4 and mxfp4 train on a model whose widths
// their blocks divide (create-tiny --intermediate-size 384), and a group size or fp4 block that does
// not divide a layer's width is refused naming the layer.
#include <gtest/gtest.h>

#include <filesystem>

#include <cstring>
#include <nlohmann/json.hpp>

#include "logged_losses.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

class QatE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny").string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto wide = run_axolotl({"create-tiny", "--output", (dir_->path() / "tiny384").string(), "--corpus",
                                   (testing::source_dir() / "examples/tiny/corpus.txt").string(),
                                   "--intermediate-size", "384"});
    ASSERT_EQ(wide.exit_code, 0) << wide.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // Trains 2 full fine-tuning steps with `extra` config lines; returns the run's losses.
  static std::vector<double> train(const std::string& name, const std::string& extra, testing::RunResult* out = nullptr,
                                   const std::string& model = "tiny") {
    const fs::path o = dir_->path() / name;
    const fs::path cfg = testing::write_alpaca_config(
        o, {{"base_model", (dir_->path() / model).string()}, {"output_dir", o.string()}, {"sequence_len", "256"},
            {"micro_batch_size", "2"}, {"max_steps", "2"}, {"learning_rate", "0.01"}, {"bf16", "false"},
            {"seed", "5"}, {"logging_steps", "1"}, {"save_strategy", "no"}},
        extra);
    const auto r = run_axolotl({"train", cfg.string()});
    if (out) *out = r;
    if (r.exit_code != 0) {
      ADD_FAILURE() << name << ": " << r.err;
      return {};
    }
    return testing_support::logged_losses(o);
  }

  static testing::TempDir* dir_;
};
testing::TempDir* QatE2E::dir_ = nullptr;

TEST_F(QatE2E, FakeQuantizationChangesTheLossAndSavesPlainWeights) {
  const auto plain = train("plain", "");
  testing::RunResult r;
  const auto int4 = train("int4-int8", "qat: {weight_dtype: int4, activation_dtype: int8, group_size: 8}", &r);
  ASSERT_EQ(plain.size(), 2u);
  ASSERT_EQ(int4.size(), 2u);
  EXPECT_NE(r.err.find("fake quantization on"), std::string::npos) << r.err;
  EXPECT_GT(std::abs(int4[0] - plain[0]), 1e-6) << "the first forward already runs fake-quantized";
  EXPECT_GT(std::abs(int4[1] - plain[1]), 1e-6);
  const auto names_of = [](const fs::path& p) {  // the safetensors header's keys and shapes
    const std::string bytes = testing::read_file(p);
    uint64_t len = 0;
    std::memcpy(&len, bytes.data(), 8);
    auto header = nlohmann::json::parse(bytes.substr(8, len));
    header.erase("__metadata__");
    std::vector<std::string> n;
    for (const auto& [k, v] : header.items()) n.push_back(k + v["shape"].dump() + v["dtype"].get<std::string>());
    return n;
  };
  EXPECT_EQ(names_of(dir_->path() / "int4-int8/model.safetensors"), names_of(dir_->path() / "plain/model.safetensors"));

  const auto fp8 = train("fp8", "qat: {weight_dtype: fp8, activation_dtype: fp8}");
  ASSERT_EQ(fp8.size(), 2u);
  EXPECT_GT(std::abs(fp8[0] - plain[0]), 1e-7);
  const auto late = train("late", "qat: {weight_dtype: int4, group_size: 8, quantize_embedding: true, fake_quant_after_n_steps: 1}");
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(late[0], plain[0]) << "fake quantization is off before step 1";
  EXPECT_GT(std::abs(late[1] - plain[1]), 1e-6);
}

TEST_F(QatE2E, LoraTrainsOverAFakeQuantizedBase) {
  const std::string lora = "adapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_target_linear: true\n";
  const auto plain = train("lora-plain", lora);
  const auto qat = train("lora-qat", lora + "qat: {weight_dtype: int4, activation_dtype: int8, group_size: 8}");
  ASSERT_EQ(plain.size(), 2u);
  ASSERT_EQ(qat.size(), 2u);
  EXPECT_GT(std::abs(qat[0] - plain[0]), 1e-6);
}

TEST_F(QatE2E, Fp4RecipesTrainWhereTheirBlocksDivideEveryWidth) {
  const auto plain = train("plain384", "", nullptr, "tiny384");
  ASSERT_EQ(plain.size(), 2u);
  testing::RunResult r;
  const auto nv = train("nvfp4", "qat: {weight_dtype: nvfp4, activation_dtype: nvfp4, group_size: 16}", &r, "tiny384");
  ASSERT_EQ(nv.size(), 2u);
  EXPECT_NE(r.err.find("nvfp4, blocks of 16, activations too"), std::string::npos) << r.err;
  const auto mx = train("mxfp4", "qat: {weight_dtype: mxfp4, activation_dtype: mxfp4, group_size: 32}", &r, "tiny384");
  ASSERT_EQ(mx.size(), 2u);
  EXPECT_NE(r.err.find("mxfp4, blocks of 32, activations too"), std::string::npos) << r.err;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(std::abs(nv[i] - plain[i]), 1e-6) << "step " << i;
    EXPECT_GT(std::abs(mx[i] - plain[i]), 1e-6) << "step " << i;
    EXPECT_GT(std::abs(mx[i] - nv[i]), 1e-6) << "step " << i << ": the two recipes differ";
    EXPECT_LT(std::abs(nv[i] - plain[i]), 0.5) << "fake quantization perturbs, it does not break the model";
  }
  // 344 (the default MLP width) is not a multiple of 16: down_proj is named.
  const fs::path o = dir_->path() / "bad-block";
  const fs::path cfg = testing::write_alpaca_config(
      o, {{"base_model", (dir_->path() / "tiny").string()}, {"output_dir", o.string()}, {"max_steps", "1"}, {"bf16", "false"}},
      "qat: {weight_dtype: nvfp4, group_size: 16}");
  r = run_axolotl({"train", cfg.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("down_proj"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("multiple of 16"), std::string::npos) << r.err;
}

TEST_F(QatE2E, GroupSizeThatDoesNotDivideALayerIsRefused) {
  testing::RunResult r;
  const fs::path o = dir_->path() / "bad-group";
  const fs::path cfg = testing::write_alpaca_config(
      o, {{"base_model", (dir_->path() / "tiny").string()}, {"output_dir", o.string()}, {"max_steps", "1"},
          {"bf16", "false"}},
      "qat: {weight_dtype: int4, group_size: 32}");
  r = run_axolotl({"train", cfg.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("down_proj"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("multiple of 32"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::train
