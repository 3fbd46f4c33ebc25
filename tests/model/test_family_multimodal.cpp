// Multimodal Gemma-3 (Gemma3ForConditionalGeneration) checkpoints in both weight spellings
// (language_model.model.* and model.language_model.*), built by tests/reference/family_reference.py:
// the text path's logits and greedy ids equal the reference; LoRA targets and adapter keys are PEFT's
// names on the full model (Axolotl's examples/gemma3 regex matches); `merge` writes the merged text
// weights plus every other tensor unchanged under its original name, and the original config.json; a
// full fine-tune is saved the same way (train::write_weights): the whole checkpoint, text tower replaced.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/merge_folder.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/model/family.h"
#include "axolotl/model/generator.h"
#include "axolotl/train/weights_writer.h"
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

// Axolotl examples/gemma3/gemma-3-4b-vision-qlora.yml's lora_target_modules.
const char* const kExampleRegex = R"(model.language_model.layers.[\d]+.(mlp|cross_attn|self_attn).(up|down|gate|q|k|v|o)_proj)";

// A config.json we wrote, less transformers_version after checking that it names the release we follow
// (the reference folder's, written without transformers, has none).
nlohmann::json without_version(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j.value("transformers_version", ""), "5.14.1");
  j.erase("transformers_version");
  return j;
}

std::map<std::string, std::vector<uint8_t>> tensor_bytes(const fs::path& file) {
  auto f = io::SafetensorsFile::open(file.string());
  std::map<std::string, std::vector<uint8_t>> out;
  for (const auto& info : f->tensors()) {
    const uint8_t* p = f->data(info);
    out[info.name] = std::vector<uint8_t>(p, p + info.nbytes());
  }
  return out;
}

class GemmaMultimodal : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path folder() const { return family_test::Goldens::dir() / GetParam(); }
};

TEST_P(GemmaMultimodal, TextPathMatchesReference) {
  REQUIRE_GOLDENS();
  torch::NoGradGuard no_grad;
  auto m = load(GetParam());  // refuses missing or unexpected text-tower keys; vision tensors are left
  EXPECT_EQ(m->config().wrapper_architecture, "Gemma3ForConditionalGeneration");
  EXPECT_EQ(m->config().architecture, "Gemma3ForCausalLM");
  EXPECT_EQ(m->config().eos_token_ids, (std::vector<int64_t>{2, 5}));  // the top level's, not text_config's
  auto g = golden(GetParam());
  auto logits = m->forward(ids_tensor(g.at("input_ids").get<std::vector<int64_t>>()))[0];  // (T, V)
  EXPECT_LT((logits - rows(g.at("logits"))).abs().max().item<float>(), 1e-5) << "family_reference.py";
  for (const auto& [feature, control] : g.at("controls").items()) {
    EXPECT_GT((logits - rows(control)).abs().max().item<float>(), 1e-4) << feature;
  }
  GenerationOptions o;
  const auto expected = g.at("greedy").get<std::vector<int64_t>>();
  o.max_new_tokens = static_cast<int>(expected.size());
  o.eos_ids = {-1};
  EXPECT_EQ(generate(*m, g.at("prompt").get<std::vector<int64_t>>(), o).tokens, expected);
}

// The example's regex adapts every text projection (and nothing else); the adapter carries PEFT's
// full-model names; merge_folder keeps every base tensor name, the vision tower byte for byte and
// config.json as it was; the merged folder loads and gives the base + adapter logits.
TEST_P(GemmaMultimodal, LoraOnTheTextTowerAndMergeKeepsTheRest) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.rank = 2;
  lora.alpha = 4;
  lora.target_regex = kExampleRegex;
  adapters::InjectionReport report;
  const auto adapter = adapters::setup_adapters(*m, lora, {}, "tiny", &report);
  EXPECT_EQ(report.adapted.size(), 7u * static_cast<size_t>(m->config().num_hidden_layers));
  for (const auto& n : report.adapted) EXPECT_EQ(n.rfind("model.language_model.layers.", 0), 0u) << n;
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  auto state = adapters::adapter_state(*m, adapter);
  ASSERT_EQ(state.size(), 2 * report.adapted.size());
  for (auto& p : m->parameters()) {
    if (p.requires_grad() && p.dim() == 2) p.copy_(torch::randn_like(p) * 0.3);  // B != 0: the merge shows
  }
  const auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40});
  const auto with_adapter = m->forward(ids)[0];
  testing::TempDir dir;
  adapters::save_adapter((dir / "adapter").string(), *m, adapter);
  for (const auto& [key, bytes] : tensor_bytes(dir / "adapter" / "adapter_model.safetensors")) {
    EXPECT_EQ(key.rfind("base_model.model.model.language_model.layers.", 0), 0u) << key;
  }
  adapters::MergeJob job;
  job.base_dir = folder().string();
  job.adapter_dir = (dir / "adapter").string();
  job.output_dir = (dir / "merged").string();
  const auto result = adapters::merge_folder(job);
  EXPECT_EQ(result.merged, static_cast<int64_t>(report.adapted.size()));
  const auto base = tensor_bytes(folder() / "model.safetensors");
  const auto merged = tensor_bytes(dir / "merged" / "model.safetensors");
  std::set<std::string> base_names, merged_names;
  for (const auto& [k, v] : base) base_names.insert(k);
  for (const auto& [k, v] : merged) merged_names.insert(k);
  EXPECT_EQ(merged_names, base_names);
  int64_t unchanged = 0;
  for (const auto& [name, bytes] : base) {
    if (!outside_text_tower(name)) continue;
    EXPECT_EQ(merged.at(name), bytes) << name;
    ++unchanged;
  }
  EXPECT_GT(unchanged, 10);
  EXPECT_EQ(without_version(testing::read_file(dir / "merged" / "config.json")),
            nlohmann::json::parse(testing::read_file(folder() / "config.json")));
  auto reloaded = load_folder((dir / "merged").string());
  EXPECT_LT((reloaded->forward(ids)[0] - with_adapter).abs().max().item<float>(), 1e-4);
}

// An adapter in the older spelling (base_model.model.language_model.model.layers...) loads onto either
// checkpoint and merges, the names landing as the base spells them.
TEST_P(GemmaMultimodal, LegacySpelledAdapterLoadsAndMerges) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.rank = 2;
  lora.alpha = 4;
  lora.target_linear = true;
  lora.target_modules = adapters::llama_linear_names();
  const auto adapter = adapters::setup_adapters(*m, lora, {}, "tiny");
  torch::NoGradGuard no_grad;
  torch::manual_seed(9);
  std::map<std::string, torch::Tensor> legacy;
  for (auto& [key, t] : adapters::adapter_state(*m, adapter)) {
    legacy[tower_name(causal_lm_name(key), TowerLayout::kLegacy)] = torch::randn_like(t) * 0.3;
  }
  testing::TempDir dir;
  adapters::write_adapter((dir / "adapter").string(), adapter, legacy);
  config::LoraConfig from_dir = lora;
  from_dir.model_dir = (dir / "adapter").string();
  auto m2 = load(GetParam());
  adapters::setup_adapters(*m2, from_dir, {}, "tiny");
  m2->eval();
  const auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40});
  const auto with_adapter = m2->forward(ids)[0];
  EXPECT_GT((with_adapter - load(GetParam())->forward(ids)[0]).abs().max().item<float>(), 1e-3);
  adapters::MergeJob job;
  job.base_dir = folder().string();
  job.adapter_dir = (dir / "adapter").string();
  job.output_dir = (dir / "merged").string();
  EXPECT_EQ(adapters::merge_folder(job).merged, 7 * m->config().num_hidden_layers);
  EXPECT_LT((load_folder((dir / "merged").string())->forward(ids)[0] - with_adapter).abs().max().item<float>(), 1e-4);
}

// Full fine-tuning saves what transformers' save_pretrained of the whole model would: every base tensor
// name (the checkpoint's spelling), the vision tower and projector bit-equal to the base, the text tower
// the trained weights, the base's config.json; the folder loads again and gives the trained logits.
TEST_P(GemmaMultimodal, FullFineTuneSavesTheWholeCheckpoint) {
  REQUIRE_GOLDENS();
  auto m = load(GetParam());
  const auto ids = ids_tensor({1, 7, 22, 5, 31, 9, 14, 40});
  torch::NoGradGuard no_grad;
  const auto before = m->forward(ids)[0].clone();
  torch::manual_seed(11);
  for (auto& p : m->parameters()) p.add_(torch::randn_like(p) * 0.05);  // a "trained" text tower
  const auto trained = m->forward(ids)[0].clone();
  ASSERT_GT((trained - before).abs().max().item<float>(), 1e-3);
  testing::TempDir dir;
  const auto out = dir / "full";
  adapters::AdapterConfig full;
  full.r = 0;  // no adapter: full fine-tuning
  train::write_weights(out.string(), *m, full, train::BaseCheckpoint{folder().string(), {}});
  const auto base = tensor_bytes(folder() / "model.safetensors");
  const auto saved = tensor_bytes(out / "model.safetensors");
  std::set<std::string> base_names, saved_names;
  for (const auto& [k, v] : base) base_names.insert(k);
  for (const auto& [k, v] : saved) saved_names.insert(k);
  EXPECT_EQ(saved_names, base_names);
  int64_t vision = 0, text = 0;
  auto params = m->named_parameters();
  for (const auto& [name, bytes] : base) {
    if (!saved.count(name)) continue;
    if (outside_text_tower(name)) {
      EXPECT_EQ(saved.at(name), bytes) << name;
      ++vision;
      continue;
    }
    EXPECT_NE(saved.at(name), bytes) << name << " (text tower: trained)";
    const auto& p = params[causal_lm_name(name)];
    ASSERT_EQ(saved.at(name).size(), static_cast<size_t>(p.numel()) * 4) << name;
    EXPECT_EQ(std::memcmp(saved.at(name).data(), p.contiguous().data_ptr(), saved.at(name).size()), 0) << name;
    ++text;
  }
  EXPECT_GT(vision, 10);
  EXPECT_EQ(text, static_cast<int64_t>(params.size()));
  EXPECT_EQ(without_version(testing::read_file(out / "config.json")),
            nlohmann::json::parse(testing::read_file(folder() / "config.json")));
  auto reloaded = load_folder(out.string());
  EXPECT_EQ(reloaded->config().wrapper_architecture, "Gemma3ForConditionalGeneration");
  EXPECT_EQ((reloaded->forward(ids)[0] - trained).abs().max().item<float>(), 0.f);
  // Saving again over it (a later checkpoint of the same run) from the folder just written also works.
  train::write_weights((dir / "again").string(), *reloaded, full,
                       train::BaseCheckpoint{out.string(), {}});
  EXPECT_EQ(tensor_bytes(dir / "again" / "model.safetensors"), saved);
}

INSTANTIATE_TEST_SUITE_P(Model, GemmaMultimodal, ::testing::Values("gemma3_mm", "gemma3_mm_legacy"));

}  // namespace
}  // namespace axolotl::model
