// LoftQ (adapters/loftq.h) against tests/reference/loftq_reference.py (PEFT's loftq_init over an
// independent bitsandbytes NF4 / int8 quantizer, tests/assets/loftq/golden.json): the quantized base and
// the rank-r product B·A of the residual's SVD (the factors' signs are free); and through the executable,
// `peft: {loftq_config: {loftq_bits: 4}}` trains from Q + scaling·B·A, writes a PEFT LoftQ adapter, and
// `merge` applies it to the quantized base as PEFT's loading does.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/loftq.h"
#include "axolotl/io/safetensors.h"
#include "test_support.h"

namespace axolotl::adapters {
namespace {
namespace fs = std::filesystem;

torch::Tensor tensor_of(const nlohmann::json& v, int64_t rows, int64_t cols) {
  return torch::tensor(v.get<std::vector<float>>()).view({rows, cols});
}

TEST(Loftq, FactorsMatchPeftsLoftqInit) {
  const auto golden = nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/loftq/golden.json"));
  ASSERT_EQ(golden["cases"].size(), 2u);
  for (const auto& c : golden["cases"]) {
    const int64_t out = c["out"], in = c["in"], rank = c["rank"];
    const int bits = c["bits"];
    SCOPED_TRACE(std::to_string(bits) + "-bit, rank " + std::to_string(rank));
    const auto w = tensor_of(c["weight"], out, in);
    const auto f = loftq_factors(w, bits, rank);
    ASSERT_EQ(f.lora_A.sizes(), (std::vector<int64_t>{rank, in}));
    ASSERT_EQ(f.lora_B.sizes(), (std::vector<int64_t>{out, rank}));
    EXPECT_LT((f.base - tensor_of(c["base"], out, in)).abs().max().item<double>(), 1e-6);
    const auto product = tensor_of(c["product"], out, in);
    EXPECT_LT((f.lora_B.mm(f.lora_A) - product).abs().max().item<double>(), 1e-5);
    EXPECT_GT(product.abs().max().item<double>(), 1e-4) << "the residual is not negligible";
    // A = sqrt(S)·Vh: its rows' squared norms are the singular values.
    const auto singular = torch::tensor(c["singular"].get<std::vector<float>>());
    EXPECT_LT((f.lora_A.pow(2).sum(1) - singular).abs().max().item<double>(), 1e-5);
  }
}

TEST(Loftq, OtherBitWidthsAreRefused) { EXPECT_THROW(loftq_factors(torch::randn({8, 8}), 2, 2), std::exception); }

TEST(LoftqE2E, TrainsFromTheQuantizedBaseAndMergesOntoIt) {
  testing::TempDir dir;
  auto r = testing::run_axolotl({"create-tiny", "--output", (dir.path() / "tiny").string(), "--corpus",
                                 (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cfg = [&](const fs::path& out, const std::string& extra) {
    return testing::write_alpaca_config(
        out, {{"base_model", (dir.path() / "tiny").string()}, {"output_dir", out.string()},
              {"dataset_prepared_path", (dir.path() / "prepared").string()}, {"sequence_len", "128"},
              {"micro_batch_size", "2"}, {"max_steps", "2"}, {"bf16", "false"}, {"seed", "3"}, {"logging_steps", "1"},
              {"adapter", "lora"}, {"lora_r", "4"}, {"lora_alpha", "8"}, {"lora_target_linear", "true"}},
        extra);
  };
  const fs::path plain = dir.path() / "plain", loftq = dir.path() / "loftq";
  r = testing::run_axolotl({"train", cfg(plain, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_axolotl({"train", cfg(loftq, "peft: {loftq_config: {loftq_bits: 4}}\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("LoftQ (4-bit)"), std::string::npos) << r.err;
  const auto ac = nlohmann::json::parse(testing::read_file(loftq / "adapter_config.json"));
  EXPECT_EQ(ac["init_lora_weights"], "loftq");
  EXPECT_EQ(ac["loftq_config"]["loftq_bits"], 4);
  EXPECT_NE(testing::read_file(plain / "adapter_model.safetensors"), testing::read_file(loftq / "adapter_model.safetensors"));
  // merge: adapted weights are Q(W) + ΔW, the rest stays the base's.
  testing::write_file(dir.path() / "merge.yml", "base_model: " + (dir.path() / "tiny").string() +
                                                    "\nadapter: lora\nlora_model_dir: " + loftq.string() +
                                                    "\nbf16: false\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  r = testing::run_axolotl({"merge", (dir.path() / "merge.yml").string(), "--output", (dir.path() / "merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto base = io::SafetensorsFile::open((dir.path() / "tiny/model.safetensors").string());
  auto merged = io::SafetensorsFile::open((dir.path() / "merged/model.safetensors").string());
  auto adapter = io::SafetensorsFile::open((loftq / "adapter_model.safetensors").string());
  const std::string name = "model.layers.0.self_attn.q_proj";
  auto view = [](const io::SafetensorsFile& f, const std::string& n) {
    const auto& t = f.at(n);
    return torch::from_blob(const_cast<uint8_t*>(f.data(t)), std::vector<int64_t>(t.shape.begin(), t.shape.end()),
                            torch::kFloat32).clone();
  };
  const auto w = view(*base, name + ".weight");
  const auto a = view(*adapter, "base_model.model." + name + ".lora_A.weight");
  const auto b = view(*adapter, "base_model.model." + name + ".lora_B.weight");
  const auto expected = loftq_base(w, 4) + b.mm(a) * 2.0;  // scaling 8 / 4
  EXPECT_LT((view(*merged, name + ".weight") - expected).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(view(*merged, "model.norm.weight").equal(view(*base, "model.norm.weight")), true);
}

}  // namespace
}  // namespace axolotl::adapters
