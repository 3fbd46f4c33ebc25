// `axolotl merge` of PEFT adapters that tests/reference/family_reference.py writes beside its tiny
// checkpoints, against the reference's merged-model logits (W' = W + (alpha/r)·B·A in float32):
// Phi-3's fused qkv_proj / gate_up_proj, Qwen2's q/k/v biases (left as they were), and a multimodal
// Gemma-3 in the older spelling merged from an adapter in PEFT's current one (vision tower untouched).
// The same adapter loaded onto the base (no merge) gives those logits too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/io/safetensors.h"
#include "family_goldens.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
namespace fs = std::filesystem;
using family_test::golden;
using family_test::ids_tensor;
using family_test::load;
using family_test::load_folder;
using family_test::rows;

std::map<std::string, std::string> tensor_bytes(const fs::path& file) {
  auto f = io::SafetensorsFile::open(file.string());
  std::map<std::string, std::string> out;
  for (const auto& info : f->tensors()) {
    out[info.name] = std::string(reinterpret_cast<const char*>(f->data(info)), info.nbytes());
  }
  return out;
}

class FamilyMerge : public ::testing::TestWithParam<std::string> {};

TEST_P(FamilyMerge, MergeCommandMatchesTheReference) {
  REQUIRE_GOLDENS();
  const fs::path base = family_test::Goldens::dir() / GetParam();
  testing::TempDir tmp;
  testing::write_file(tmp / "merge.yml", "base_model: " + base.string() + "\nadapter: lora\nlora_model_dir: " +
                                             (base / "adapter").string() + "\nbf16: false\nfloat32: true\n"
                                             "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  const auto run = testing::run_axolotl({"merge", (tmp / "merge.yml").string(), "--output", (tmp / "out").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto g = golden(GetParam());
  const auto ids = ids_tensor(g.at("input_ids").get<std::vector<int64_t>>());
  const auto expected = rows(g.at("merged_logits"));
  torch::NoGradGuard no_grad;
  const auto merged = load_folder((tmp / "out").string())->forward(ids)[0];  // (T, V)
  EXPECT_LT((merged - expected).abs().max().item<float>(), 2e-5) << "family_reference.py merged_logits";
  EXPECT_GT((merged - rows(g.at("logits"))).abs().max().item<float>(), 1e-2) << "the adapter must matter";
  // Same names as the base; every tensor that is not a LoRA target (biases, norms, vision tower) unchanged.
  const auto in = tensor_bytes(base / "model.safetensors"), out = tensor_bytes(tmp / "out" / "model.safetensors");
  ASSERT_EQ(in.size(), out.size());
  int64_t changed = 0, biases = 0;
  for (const auto& [name, bytes] : in) {
    ASSERT_TRUE(out.count(name)) << name;
    const bool target = name.find("_proj.weight") != std::string::npos && name.find("vision_tower") == std::string::npos;
    if (target) {
      changed += out.at(name) != bytes;
    } else {
      EXPECT_EQ(out.at(name), bytes) << name;
    }
    biases += name.find("_proj.bias") != std::string::npos && name.find("vision_tower") == std::string::npos;
  }
  EXPECT_GT(changed, 0);
  if (GetParam() == "qwen2") {
    EXPECT_EQ(biases, 3 * 3);  // q/k/v of 3 layers
  }
  // The adapter on the unmerged base (PEFT's forward: base + (alpha/r)·B·A·x) gives the same logits.
  auto m = load(GetParam());
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.model_dir = (base / "adapter").string();
  adapters::setup_adapters(*m, lora, {}, "tiny");
  m->eval();
  EXPECT_LT((m->forward(ids)[0] - expected).abs().max().item<float>(), 2e-5);
}

INSTANTIATE_TEST_SUITE_P(Model, FamilyMerge, ::testing::Values("phi3", "qwen2", "gemma3_mm_legacy"));

}  // namespace
}  // namespace axolotl::model
