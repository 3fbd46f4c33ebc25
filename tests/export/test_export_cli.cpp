// End to end through the real executable: `axolotl create-tiny` (a LLaMA with a sentencepiece
// tokenizer), a LoRA adapter for it, then `axolotl export` (merged model, q8_0 and f32, --ollama; and
// --format gguf-lora) read back with `axolotl inspect --format json`. The merged f32 export's attn_q
// must equal base + (alpha/r)·B·A with the llama row permutation.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "axolotl/export/gguf_reader.h"
#include "export_fixtures.h"
#include "test_support.h"

namespace axolotl::gguf {
namespace {
namespace fs = std::filesystem;

class ExportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto r = testing::run_axolotl({"-q", "create-tiny", "--output", (dir() / "model").string(), "--corpus",
                                   (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::TinyLlamaSpec spec;
    spec.hidden = 128;
    spec.heads = 4;
    spec.kv_heads = 2;
    testing::write_tiny_adapter(dir() / "adapter", spec, 4, 8.0);
  }
  static void TearDownTestSuite() { delete dir_; }
  static const fs::path& dir() { return dir_->path(); }

  static fs::path config(const std::string& name, bool adapter) {
    std::string yml = "base_model: " + (dir() / "model").string() + "\n";
    if (adapter) yml += "adapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_model_dir: " + (dir() / "adapter").string() + "\n";
    yml += "datasets:\n  - path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() +
           "\n    type: alpaca\nsequence_len: 256\noutput_dir: " + (dir() / ("run-" + name)).string() + "\n";
    const auto p = dir() / (name + ".yml");
    testing::write_file(p, yml);
    return p;
  }

  static nlohmann::json inspect(const fs::path& file) {
    auto r = testing::run_axolotl({"inspect", file.string(), "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

 private:
  static testing::TempDir* dir_;
};
testing::TempDir* ExportCli::dir_ = nullptr;

TEST_F(ExportCli, MergedSentencepieceModelWithModelfile) {
  const auto out = dir() / "out" / "tiny-q8_0.gguf";
  auto r = testing::run_axolotl({"export", config("q8", true).string(), "--quant", "q8_0", "--output", out.string(),
                                 "--ollama"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("merging"), std::string::npos) << r.err;
  for (const auto& e : fs::directory_iterator(out.parent_path())) {
    const auto n = e.path().filename().string();
    EXPECT_TRUE(n == "tiny-q8_0.gguf" || n == "Modelfile") << "left behind: " << n;
  }
  const auto j = inspect(out);
  const auto& m = j["metadata"];
  EXPECT_EQ(m["general.architecture"]["value"], "llama");
  EXPECT_EQ(m["general.file_type"]["value"], 7);
  EXPECT_EQ(m["tokenizer.ggml.model"]["value"], "llama");
  const auto cfg = nlohmann::json::parse(testing::read_file(dir() / "model" / "config.json"));
  EXPECT_EQ(m["tokenizer.ggml.tokens"]["count"], cfg["vocab_size"]);
  EXPECT_EQ(m["tokenizer.ggml.scores"]["count"], cfg["vocab_size"]);
  EXPECT_EQ(m["tokenizer.ggml.token_type"]["element_type"], "i32");
  EXPECT_EQ(m["tokenizer.ggml.bos_token_id"]["type"], "u32");
  EXPECT_EQ(m["llama.block_count"]["value"], cfg["num_hidden_layers"]);
  bool has_q8 = false;
  for (const auto& t : j["tensors"]) has_q8 = has_q8 || t["type"] == "Q8_0";
  EXPECT_TRUE(has_q8);
  const auto modelfile = testing::read_file(out.parent_path() / "Modelfile");
  EXPECT_NE(modelfile.find("FROM ./tiny-q8_0.gguf"), std::string::npos);
  EXPECT_NE(modelfile.find("### Instruction:"), std::string::npos);  // trained on alpaca prompts
  EXPECT_NE(modelfile.find("PARAMETER stop"), std::string::npos);
}

TEST_F(ExportCli, MergedWeightsEqualBasePlusScaledBA) {
  const auto base = dir() / "f32" / "base.gguf", merged = dir() / "f32" / "merged.gguf";
  ASSERT_EQ(testing::run_axolotl({"export", config("base", false).string(), "--quant", "f32", "--output",
                                  base.string()}).exit_code, 0);
  auto r = testing::run_axolotl({"export", config("merged", true).string(), "--quant", "f32", "--output", merged.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto fb = GgufFile::open(base.string()), fm = GgufFile::open(merged.string());
  const auto wb = fb->dequantize(*fb->tensor("blk.0.attn_q.weight"));
  const auto wm = fm->dequantize(*fm->tensor("blk.0.attn_q.weight"));
  ASSERT_EQ(wb.size(), 128u * 128u);
  // delta[o][i] = 2 · sum_k B[o][k] A[k][i], with A = 1000 + k·100 + i, B = 2000 + o·100 + k (fixture).
  auto delta = [](int64_t o, int64_t i) {
    double s = 0;
    for (int k = 0; k < 4; ++k) s += (2000.0 + o * 100 + k) * (1000.0 + k * 100 + i);
    return 2.0 * s;
  };
  const int64_t d = 32;
  for (int64_t h = 0; h < 4; ++h) {
    for (int64_t j = 0; j < d / 2; j += 5) {
      for (int64_t i = 0; i < 128; i += 17) {
        const int64_t g = (h * d + 2 * j + 1) * 128 + i;  // GGUF row h·d + 2j + 1 = HF row h·d + d/2 + j
        const double want = delta(h * d + d / 2 + j, i);
        EXPECT_NEAR(wm[g] - wb[g], want, want * 1e-5) << h << " " << j << " " << i;
      }
    }
  }
  const auto vb = fb->dequantize(*fb->tensor("blk.1.attn_v.weight")), vm = fm->dequantize(*fm->tensor("blk.1.attn_v.weight"));
  EXPECT_EQ(vb, vm);  // layer 1 has no adapter
}

TEST_F(ExportCli, LoraAdapterForLlamaCpp) {
  const auto out = dir() / "lora" / "adapter.gguf";
  auto r = testing::run_axolotl({"export", config("lora", true).string(), "--format", "gguf-lora", "--output", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = inspect(out);
  EXPECT_EQ(j["metadata"]["general.type"]["value"], "adapter");
  EXPECT_EQ(j["metadata"]["adapter.lora.alpha"]["type"], "f32");
  EXPECT_EQ(j["metadata"]["adapter.lora.alpha"]["value"], 8.0);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& t : j["tensors"]) shapes[t["name"]] = t["ne"].get<std::vector<int64_t>>();
  EXPECT_EQ(shapes["blk.0.attn_q.weight.lora_a"], (std::vector<int64_t>{128, 4}));
  EXPECT_EQ(shapes["blk.0.attn_q.weight.lora_b"], (std::vector<int64_t>{4, 128}));
  EXPECT_EQ(shapes["blk.0.attn_v.weight.lora_b"], (std::vector<int64_t>{4, 64}));
  EXPECT_EQ(shapes.size(), 4u);
  auto bad = testing::run_axolotl({"export", config("lora", true).string(), "--format", "gguf-lora", "--quant", "q4_k_m",
                                   "--output", out.string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST_F(ExportCli, UnknownQuantIsAUsageError) {
  auto r = testing::run_axolotl({"export", config("bad", false).string(), "--quant", "q3_k", "--output",
                                 (dir() / "x.gguf").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("q4_k_m"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "x.gguf"));
}

TEST(ExportStories, FallbackForUnalignedFfnDownIsLogged) {
  AXOLOTL_REQUIRE_SHARED();
  const auto model = testing::shared_dir() / "models/stories260K";
  if (!fs::exists(model / "model.safetensors")) GTEST_SKIP() << "stories260K absent";
  testing::TempDir dir;
  testing::write_file(dir / "c.yml", "base_model: " + model.string() + "\ndatasets:\n  - path: " +
                                        (testing::source_dir() / "examples/tiny/data.jsonl").string() +
                                        "\n    type: alpaca\n");
  auto r = testing::run_axolotl({"export", (dir / "c.yml").string(), "--quant", "q4_k_m", "--output",
                                 (dir / "s.gguf").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("blk.0.ffn_down.weight: Q4_K -> F16 (172 columns"), std::string::npos) << r.err;
  auto f = GgufFile::open((dir / "s.gguf").string());
  EXPECT_EQ(f->tensor("blk.4.ffn_down.weight")->type, GgmlType::kF16);
  EXPECT_EQ(f->tensor("token_embd.weight")->type, GgmlType::kQ8_0);  // tied: output rule, 64 % 256 != 0
  EXPECT_EQ(f->tensor("output.weight"), nullptr);
}

}  // namespace
}  // namespace axolotl::gguf
