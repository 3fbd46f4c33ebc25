// PEFT adapter files both ways: adapter_config.json text identical to PEFT's json.dumps, save -> load
// bit-exact, an adapter written by tests/reference/peft_reference.py reproducing its logits, key
// variants PEFT produces, and one clear error for adapters that do not fit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "adapter_fixtures.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace ad = axolotl::adapters;
namespace fs = std::filesystem;
using axolotl::testing::TempDir;

namespace {

fs::path reference_dir() { return axolotl::testing::source_dir() / "tests/assets/adapters/peft_tiny"; }

// The reference base model loaded as float32.
axolotl::model::LlamaForCausalLM load_reference_base() {
  auto config = axolotl::model::load_llama_config((reference_dir() / "base").string());
  axolotl::model::LlamaForCausalLM m(config, torch::TensorOptions().dtype(torch::kFloat32));
  axolotl::model::load_weights(*m, (reference_dir() / "base").string());
  m->eval();
  return m;
}

axolotl::config::LoraConfig from_dir(const fs::path& dir) {
  axolotl::config::LoraConfig lora;
  lora.type = axolotl::config::AdapterType::kLora;
  lora.model_dir = dir.string();
  return lora;
}

// Copies the reference adapter into `dir`, renaming keys with `rename` and editing the config with `edit`.
template <typename Rename, typename Edit>
void rewrite_adapter(const fs::path& dir, Rename rename, Edit edit) {
  fs::create_directories(dir);
  auto file = axolotl::io::SafetensorsFile::open((reference_dir() / "adapter" / ad::kAdapterWeightsFile).string());
  std::vector<axolotl::io::TensorSource> sources;
  for (const auto& info : file->tensors()) {
    const std::string name = rename(info.name);
    if (!name.empty()) sources.push_back(ad::tensor_source(name, ad::view_tensor(*file, info).clone()));
  }
  axolotl::io::write_safetensors((dir / ad::kAdapterWeightsFile).string(), sources);
  auto config = nlohmann::json::parse(axolotl::testing::read_file(reference_dir() / "adapter" / ad::kAdapterConfigFile));
  edit(config);
  axolotl::testing::write_file(dir / ad::kAdapterConfigFile, config.dump(2));
}

torch::Tensor reference_logits(const char* key) {
  auto j = nlohmann::json::parse(axolotl::testing::read_file(reference_dir() / "logits.json"));
  auto values = j[key].get<std::vector<float>>();
  return torch::tensor(values).view(j["shape"].get<std::vector<int64_t>>());
}

torch::Tensor reference_ids() {
  auto j = nlohmann::json::parse(axolotl::testing::read_file(reference_dir() / "logits.json"));
  auto rows = j["input_ids"].get<std::vector<std::vector<int64_t>>>();
  std::vector<int64_t> flat;
  for (auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat).view({static_cast<int64_t>(rows.size()), -1});
}

}  // namespace

TEST(AdapterConfig, TextIsIdenticalToPeftsJsonDumps) {
  const std::string text = axolotl::testing::read_file(reference_dir() / "adapter" / ad::kAdapterConfigFile);
  const auto parsed = ad::parse_adapter_config(text, "reference");
  EXPECT_EQ(parsed.r, 4);
  EXPECT_EQ(parsed.target_modules, (std::vector<std::string>{"down_proj", "q_proj", "v_proj"}));
  EXPECT_EQ(ad::adapter_config_json(parsed), text);
}

TEST(AdapterConfig, FromYamlSection) {
  axolotl::config::LoraConfig lora;
  lora.rank = 16;
  lora.alpha = 32;
  lora.dropout = 0.05;
  lora.target_modules = {"v_proj", "q_proj"};
  lora.target_linear = true;
  lora.modules_to_save = {"lm_head"};
  lora.use_rslora = true;
  const auto c = ad::adapter_config_from(lora, "base/model");
  const auto j = nlohmann::json::parse(ad::adapter_config_json(c));
  EXPECT_EQ(j["r"], 16);
  EXPECT_EQ(j["lora_alpha"].dump(), "32");
  EXPECT_EQ(j["lora_dropout"].dump(), "0.05");
  EXPECT_EQ(j["target_modules"].size(), 7u);
  EXPECT_EQ(j["modules_to_save"], nlohmann::json({"lm_head"}));
  EXPECT_EQ(j["use_rslora"], true);
  EXPECT_EQ(j["peft_type"], "LORA");
  EXPECT_EQ(j["task_type"], "CAUSAL_LM");
  EXPECT_EQ(j["bias"], "none");
  EXPECT_TRUE(j["layers_to_transform"].is_null());
  EXPECT_EQ(j["rank_pattern"], nlohmann::json::object());
  EXPECT_EQ(ad::adapter_config_from({}, "").target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
}

TEST(AdapterConfig, BaseModelAsTheUserNamedItWithLocalFoldersAbsolute) {
  EXPECT_EQ(ad::adapter_config_from({}, "org/model").base_model_name_or_path, "org/model");  // a Hub id stays
  axolotl::testing::TempDir dir;
  const fs::path relative = fs::relative(dir.path(), fs::current_path());
  ASSERT_FALSE(relative.is_absolute());
  const auto c = ad::adapter_config_from({}, relative.string() + "/");
  EXPECT_EQ(fs::path(c.base_model_name_or_path), fs::weakly_canonical(dir.path()));
  // PEFT 0.19's keys are all there, at their defaults, and peft_version names the release we follow.
  const auto j = nlohmann::json::parse(ad::adapter_config_json(c));
  for (const char* key : {"alora_invocation_tokens", "arrow_config", "corda_config", "ensure_weight_tying", "eva_config",
                          "lora_ga_config", "qalora_group_size", "target_parameters", "trainable_token_indices",
                          "use_bdlora", "use_qalora"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["peft_version"], "0.19.1");
  EXPECT_FALSE(j.contains("runtime_config"));
}

TEST(AdapterConfig, UnsupportedSettingsAreListedTogether) {
  const std::string text = R"({"peft_type": "LORA", "r": 8, "use_dora": true, "rank_pattern": {"q_proj": 4},
                                "layers_to_transform": [0], "target_modules": ["q_proj"]})";
  try {
    ad::parse_adapter_config(text, "x/adapter_config.json");
    FAIL();
  } catch (const axolotl::ConfigError& e) {
    EXPECT_EQ(e.problems().size(), 3u);
  }
  EXPECT_THROW(ad::parse_adapter_config(R"({"peft_type": "IA3"})", "f"), axolotl::ConfigError);
}

TEST(PeftFiles, KeysAndAdapterNamesAreNormalised) {
  EXPECT_EQ(ad::model_key("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"),
            "model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(ad::model_key("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"),
            "model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(ad::model_key("base_model.model.lm_head.modules_to_save.default.weight"), "lm_head.weight");
  EXPECT_EQ(ad::model_key("model.layers.0.self_attn.q_proj.weight"), "");
}

TEST(PeftFiles, SaveLoadRoundTripIsBitExact) {
  TempDir tmp;
  auto m = axolotl::testing::make_tiny_model();
  axolotl::config::LoraConfig lora;
  lora.type = axolotl::config::AdapterType::kLora;
  lora.target_modules = {"q_proj", "down_proj"};
  lora.modules_to_save = {"lm_head"};
  auto config = ad::setup_adapters(*m, lora, {}, "tiny");
  axolotl::testing::randomize_lora(*m, 5);
  ad::save_adapter((tmp / "a").string(), *m, config);
  auto file = axolotl::io::SafetensorsFile::open((tmp / "a" / ad::kAdapterWeightsFile).string());
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  const auto* a = file->find("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{8, 48}));
  EXPECT_NE(file->find("base_model.model.lm_head.weight"), nullptr);

  auto m2 = axolotl::testing::make_tiny_model();
  ad::setup_adapters(*m2, from_dir(tmp / "a"), {}, "tiny");
  const auto s1 = ad::adapter_state(*m, config), s2 = ad::adapter_state(*m2, config);
  ASSERT_EQ(s1.size(), s2.size());
  for (const auto& [k, v] : s1) EXPECT_TRUE(torch::equal(v, s2.at(k))) << k;
  const auto ids = axolotl::testing::tiny_input_ids();
  EXPECT_TRUE(torch::equal(m->forward(ids), m2->forward(ids)));
}

TEST(PeftFiles, ReferenceAdapterReproducesPeftLogits) {
  auto m = load_reference_base();
  const auto ids = reference_ids();
  EXPECT_TRUE(torch::allclose(m->forward(ids), reference_logits("base_logits"), 1e-4, 1e-4));
  auto config = ad::setup_adapters(*m, from_dir(reference_dir() / "adapter"), {}, "");
  EXPECT_EQ(config.modules_to_save, std::vector<std::string>{"lm_head"});
  const auto logits = m->forward(ids);
  EXPECT_LT((logits - reference_logits("logits")).abs().max().item<double>(), 1e-4);
}

TEST(PeftFiles, AcceptsAdapterNameSegmentsAndMissingModulesToSave) {
  TempDir tmp;
  rewrite_adapter(
      tmp.path(),
      [](const std::string& k) {
        if (k.find(".lora_") != std::string::npos) return k.substr(0, k.size() - 7) + ".default.weight";
        return k;
      },
      [](nlohmann::json& c) { c.erase("modules_to_save"); });
  auto m = load_reference_base();
  ad::setup_adapters(*m, from_dir(tmp.path()), {}, "");
  EXPECT_LT((m->forward(reference_ids()) - reference_logits("logits")).abs().max().item<double>(), 1e-4);
}

TEST(PeftFiles, MismatchesAreReportedInOneError) {
  TempDir tmp;
  rewrite_adapter(
      tmp.path(),
      [](const std::string& k) -> std::string {
        if (k.find("layers.0.self_attn.q_proj.lora_B") != std::string::npos) return "";  // missing
        if (k.find("layers.1.self_attn.v_proj.lora_A") != std::string::npos) {
          return "base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight";  // unexpected (+ v missing)
        }
        return k;
      },
      [](nlohmann::json&) {});
  auto m = load_reference_base();
  try {
    ad::setup_adapters(*m, from_dir(tmp.path()), {}, "");
    FAIL() << "expected an error";
  } catch (const axolotl::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("layers.0.self_attn.q_proj.lora_B.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected"), std::string::npos) << msg;
    EXPECT_NE(msg.find("k_proj.lora_A"), std::string::npos) << msg;
    EXPECT_NE(msg.find("wrong base model"), std::string::npos) << msg;
  }
  // Another base: the same adapter on a model of other widths -> shape mismatches.
  TempDir tmp2;
  rewrite_adapter(tmp2.path(), [](const std::string& k) { return k; }, [](nlohmann::json&) {});
  auto config = axolotl::model::load_llama_config((reference_dir() / "base").string());
  config.intermediate_size = 40;
  axolotl::model::LlamaForCausalLM narrow(config, torch::TensorOptions().dtype(torch::kFloat32));
  try {
    ad::setup_adapters(*narrow, from_dir(tmp2.path()), {}, "");
    FAIL() << "expected an error";
  } catch (const axolotl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("down_proj.lora_A.weight [4, 48] vs model [4, 40]"), std::string::npos) << e.what();
  }
}

TEST(PeftFiles, MissingFilesExplainThemselves) {
  TempDir tmp;
  axolotl::testing::write_file(tmp / "adapter_model.bin", "pickle");
  try {
    ad::read_adapter(tmp.path().string());
    FAIL();
  } catch (const axolotl::IoError& e) {
    EXPECT_NE(e.diagnostic().hint.find("safe_serialization"), std::string::npos);
  }
}

// Files that would load and silently give a broken model are errors naming the file and field.
TEST(PeftFiles, ImplausibleAdaptersAreRefused) {
  auto error_of = [](auto rename_edit_tensor, auto edit_config) {
    TempDir tmp;
    fs::create_directories(tmp.path());
    auto file = axolotl::io::SafetensorsFile::open((reference_dir() / "adapter" / ad::kAdapterWeightsFile).string());
    std::vector<axolotl::io::TensorSource> sources;
    for (const auto& info : file->tensors())
      sources.push_back(ad::tensor_source(info.name, rename_edit_tensor(info.name, ad::view_tensor(*file, info).clone())));
    axolotl::io::write_safetensors((tmp / ad::kAdapterWeightsFile).string(), sources);
    auto config = nlohmann::json::parse(axolotl::testing::read_file(reference_dir() / "adapter" / ad::kAdapterConfigFile));
    edit_config(config);
    axolotl::testing::write_file(tmp / ad::kAdapterConfigFile, config.dump(2));
    try {
      ad::read_adapter(tmp.path().string());
    } catch (const axolotl::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto same = [](const std::string&, torch::Tensor t) { return t; };
  auto keep = [](nlohmann::json&) {};
  EXPECT_EQ(error_of(same, keep), "no error");
  EXPECT_NE(error_of(same, [](nlohmann::json& c) { c["r"] = c["r"].get<int>() * 2; }).find("does not match the adapter's rank"),
            std::string::npos);
  for (double alpha : {0.0, -8.0, 1e9}) {
    EXPECT_NE(error_of(same, [&](nlohmann::json& c) { c["lora_alpha"] = alpha; }).find("lora_alpha"), std::string::npos)
        << alpha;
  }
  auto to_int = [](const std::string& name, torch::Tensor t) {
    return name.find("q_proj.lora_A") != std::string::npos ? t.to(torch::kInt32) : t;
  };
  EXPECT_NE(error_of(to_int, keep).find("not floating point"), std::string::npos);
  auto nan = [](const std::string& name, torch::Tensor t) {
    if (name.find("v_proj.lora_B") != std::string::npos) t.view(-1)[0] = NAN;
    return t;
  };
  const std::string nan_error = error_of(nan, keep);
  EXPECT_NE(nan_error.find("NaN"), std::string::npos) << nan_error;
  EXPECT_NE(nan_error.find("v_proj.lora_B"), std::string::npos) << nan_error;
  EXPECT_NE(nan_error.find(ad::kAdapterWeightsFile), std::string::npos) << nan_error;
}
