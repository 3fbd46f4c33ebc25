// Merge: the pure function, merge_and_unload, and the streaming folder merge whose output must give
// the same logits as base + adapter (1e-5, float32), sharded like HF, written atomically.
#include <gtest/gtest.h>
#include <unistd.h>
#include <torch/torch.h>

#include <set>

#include <nlohmann/json.hpp>

#include "adapter_fixtures.h"
#include "axolotl/adapters/folder_rewrite.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/lora_merge.h"
#include "axolotl/adapters/merge_folder.h"
#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace ad = axolotl::adapters;
namespace fs = std::filesystem;
using axolotl::testing::TempDir;

namespace {

// A tiny base folder at dir/base, an adapter (random A/B, lm_head saved) at dir/adapter, and the
// adapted model's logits.
torch::Tensor make_base_and_adapter(const fs::path& dir, uint64_t base_shard_bytes = 1ull << 40) {
  auto m = axolotl::testing::make_tiny_model(3);
  axolotl::testing::write_model_folder(*m, dir / "base", base_shard_bytes);
  axolotl::testing::write_file(dir / "base" / "tokenizer.model", "spm bytes");
  axolotl::config::LoraConfig lora;
  lora.type = axolotl::config::AdapterType::kLora;
  lora.target_linear = true;
  lora.rank = 4;
  lora.alpha = 16;
  lora.modules_to_save = {"lm_head"};
  auto config = ad::setup_adapters(*m, lora, {}, (dir / "base").string());
  axolotl::testing::randomize_lora(*m, 9);
  {
    torch::NoGradGuard g;
    m->lm_head->weight.add_(0.1);
  }
  ad::save_adapter((dir / "adapter").string(), *m, config);
  return m->forward(axolotl::testing::tiny_input_ids()).detach();
}

torch::Tensor logits_of_folder(const fs::path& folder) {
  auto config = axolotl::model::load_llama_config(folder.string());
  axolotl::model::LlamaForCausalLM m(config, torch::TensorOptions().dtype(torch::kFloat32));
  axolotl::model::load_weights(*m, folder.string());
  m->eval();
  return m->forward(axolotl::testing::tiny_input_ids()).detach();
}

ad::MergeJob job_for(const fs::path& dir, uint64_t shard = 1ull << 40) {
  ad::MergeJob job;
  job.base_dir = (dir / "base").string();
  job.adapter_dir = (dir / "adapter").string();
  job.output_dir = (dir / "merged").string();
  job.max_shard_bytes = shard;
  return job;
}

}  // namespace

TEST(Merge, PureFunctionComputesInFloat32) {
  auto w = torch::randn({6, 5}, torch::kBFloat16);
  auto a = torch::randn({2, 5}), b = torch::randn({6, 2});
  auto merged = ad::merge_lora_weight(w, a, b, 0.5, torch::kBFloat16);
  EXPECT_EQ(merged.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(merged, (w.to(torch::kFloat32) + b.matmul(a) * 0.5).to(torch::kBFloat16)));
  EXPECT_THROW(ad::merge_lora_weight(w, b, a, 1.0, torch::kFloat32), axolotl::Error);
}

TEST(Merge, QuantizedBaseIsDequantizedFirst) {
  auto dense = std::make_shared<axolotl::model::DenseLinear>(64, 8, false, torch::TensorOptions());
  torch::NoGradGuard g;
  dense->weight.normal_();
  auto q = ad::Nf4Linear::from_dense(*dense, 64, true, torch::kFloat32);
  ad::LoraLinear lora(q, {2, 4.0, 0.0, false});
  lora.lora_B->weight.normal_();
  const auto expect = q->quantized().dequantize(torch::kFloat32) + lora.delta_weight();
  EXPECT_TRUE(torch::equal(ad::merged_weight(lora, torch::kFloat32), expect));
}

TEST(Merge, MergeAndUnloadKeepsLogits) {
  auto m = axolotl::testing::make_tiny_model();
  axolotl::config::LoraConfig lora;
  lora.type = axolotl::config::AdapterType::kLora;
  lora.target_linear = true;
  ad::setup_adapters(*m, lora, {}, "tiny");
  axolotl::testing::randomize_lora(*m, 4);
  const auto ids = axolotl::testing::tiny_input_ids();
  const auto before = m->forward(ids).detach();
  EXPECT_EQ(ad::merge_and_unload(*m), 14);
  for (const auto& [name, layer] : ad::projections(*m)) EXPECT_TRUE(std::dynamic_pointer_cast<axolotl::model::DenseLinear>(layer));
  EXPECT_TRUE(torch::allclose(m->forward(ids), before, 1e-5, 1e-5));
}

TEST(MergeFolder, MergedModelGivesAdapterLogits) {
  TempDir tmp;
  const auto adapted = make_base_and_adapter(tmp.path());
  const auto base = logits_of_folder(tmp / "base");
  ASSERT_GT((adapted - base).abs().max().item<double>(), 1e-2) << "the adapter must matter";
  const auto result = ad::merge_folder(job_for(tmp.path()));
  EXPECT_EQ(result.merged, 14);
  EXPECT_EQ(result.replaced, 1);
  EXPECT_EQ(result.files, std::vector<std::string>{"model.safetensors"});
  EXPECT_LT((logits_of_folder(tmp / "merged") - adapted).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(fs::exists(tmp / "merged" / "tokenizer.model"));
  EXPECT_TRUE(fs::exists(tmp / "merged" / "generation_config.json"));
  auto gen = nlohmann::json::parse(axolotl::testing::read_file(tmp / "merged" / "generation_config.json"));
  EXPECT_EQ(gen["bos_token_id"], 1);
  // save_pretrained writes the saving release into both files, whatever the base's said.
  EXPECT_EQ(gen["transformers_version"], "5.14.1");
  EXPECT_EQ(nlohmann::json::parse(axolotl::testing::read_file(tmp / "merged" / "config.json"))["transformers_version"],
            "5.14.1");
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename().string().find(".merged.tmp"), std::string::npos) << "temp folder left behind";
  }
}

TEST(MergeFolder, GenerationConfigIsTheBasesWithOurTransformersVersion) {
  TempDir tmp;
  const nlohmann::json config = {{"bos_token_id", 1}, {"eos_token_id", 2}, {"pad_token_id", nullptr}};
  // No base file: GenerationConfig.from_model_config's token ids (a multimodal config's text_config's).
  auto g = ad::generation_config_for("", config);
  EXPECT_EQ(g, nlohmann::json({{"_from_model_config", true}, {"bos_token_id", 1}, {"eos_token_id", 2},
                               {"transformers_version", "5.14.1"}}));
  g = ad::generation_config_for((tmp / "none").string(), {{"text_config", {{"eos_token_id", 106}}}, {"eos_token_id", 1}});
  EXPECT_EQ(g["eos_token_id"], 106);
  // The base's file keeps its settings and gets the version we write.
  axolotl::testing::write_file(tmp / "generation_config.json",
                               R"({"temperature": 0.6, "eos_token_id": [2, 7], "transformers_version": "4.31.0"})");
  g = ad::generation_config_for(tmp.path().string(), config);
  EXPECT_EQ(g["temperature"], 0.6);
  EXPECT_EQ(g["eos_token_id"], nlohmann::json({2, 7}));
  EXPECT_EQ(g["transformers_version"], "5.14.1");
  EXPECT_FALSE(g.contains("_from_model_config"));
  axolotl::testing::write_file(tmp / "generation_config.json", "[1, 2");
  try {
    ad::generation_config_for(tmp.path().string(), config);
    ADD_FAILURE() << "a broken generation_config.json was accepted";
  } catch (const axolotl::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("generation_config.json"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ad::rewritten_config({{"transformers_version", "4.31.0"}}, std::nullopt, 0)["transformers_version"], "5.14.1");
}

TEST(MergeFolder, ShardsInAndOutWithDtypeChange) {
  TempDir tmp;
  const auto adapted = make_base_and_adapter(tmp.path(), /*base_shard_bytes=*/20000);
  auto job = job_for(tmp.path(), /*shard=*/8000);
  job.dtype = torch::kBFloat16;
  const auto result = ad::merge_folder(job);
  EXPECT_GT(result.files.size(), 3u);
  ASSERT_TRUE(fs::exists(tmp / "merged" / "model.safetensors.index.json"));
  auto index = nlohmann::json::parse(axolotl::testing::read_file(tmp / "merged" / "model.safetensors.index.json"));
  EXPECT_EQ(index["weight_map"].size(), static_cast<size_t>(result.tensors));
  auto config = nlohmann::json::parse(axolotl::testing::read_file(tmp / "merged" / "config.json"));
  EXPECT_EQ(config["torch_dtype"], "bfloat16");
  // bf16 weights: close to the adapted float32 logits, not equal.
  const double err = (logits_of_folder(tmp / "merged") - adapted).abs().max().item<double>();
  EXPECT_LT(err, 0.1);
}

TEST(MergeFolder, RefusesNonEmptyOutputWithoutForce) {
  TempDir tmp;
  make_base_and_adapter(tmp.path());
  axolotl::testing::write_file(tmp / "merged" / "keep.txt", "x");
  EXPECT_THROW(ad::merge_folder(job_for(tmp.path())), axolotl::UsageError);
  EXPECT_TRUE(fs::exists(tmp / "merged" / "keep.txt"));
  auto job = job_for(tmp.path());
  job.force = true;
  ad::merge_folder(job);
  EXPECT_FALSE(fs::exists(tmp / "merged" / "keep.txt"));
  EXPECT_TRUE(fs::exists(tmp / "merged" / "model.safetensors"));
}

// --force onto an input, a folder holding one, or a folder inside the base (also through a symlink) is
// refused and leaves the inputs as they were.
TEST(MergeFolder, RefusesAnOutputThatOverlapsItsInputs) {
  TempDir tmp;
  make_base_and_adapter(tmp.path());
  fs::create_directory_symlink(tmp / "base", tmp / "base-link");
  const std::string base_bytes = axolotl::testing::read_file(tmp / "base" / "model.safetensors");
  for (const fs::path out : {tmp / "base", tmp / "adapter", tmp.path(), tmp / "base" / "merged", tmp / "base-link",
                             tmp / "base-link" / "sub"}) {
    auto job = job_for(tmp.path());
    job.output_dir = out.string();
    job.force = true;
    try {
      ad::merge_folder(job);
      FAIL() << out;
    } catch (const axolotl::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("overlaps the merge's input"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(axolotl::testing::read_file(tmp / "base" / "model.safetensors"), base_bytes);
  EXPECT_TRUE(fs::exists(tmp / "adapter" / "adapter_model.safetensors"));
  EXPECT_FALSE(fs::exists(tmp / "base" / "merged"));
  // Python Axolotl's own layout, output_dir/merged beside the adapter, stays allowed.
  auto job = job_for(tmp.path());
  job.output_dir = (tmp / "adapter" / "merged").string();
  ad::merge_folder(job);
  EXPECT_TRUE(fs::exists(tmp / "adapter" / "merged" / "model.safetensors"));
}

TEST(MergeFolder, AdapterOfAnotherBaseFailsBeforeWriting) {
  TempDir tmp;
  make_base_and_adapter(tmp.path());
  auto other = axolotl::testing::tiny_llama();
  other.intermediate_size = 40;
  axolotl::model::LlamaForCausalLM m(other, torch::TensorOptions());
  axolotl::model::init_weights(*m, 1);
  axolotl::testing::write_model_folder(*m, tmp / "other");
  auto job = job_for(tmp.path());
  job.base_dir = (tmp / "other").string();
  try {
    ad::merge_folder(job);
    FAIL();
  } catch (const axolotl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not fit base weight [40, 32]"), std::string::npos) << e.what();
    EXPECT_NE(e.diagnostic().hint.find("wrong base model"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(tmp / "merged"));
}

TEST(MergeCommand, PeftAdapterMergedByTheCliGivesPeftLogits) {
  TempDir tmp;
  const auto ref = axolotl::testing::source_dir() / "tests/assets/adapters/peft_tiny";
  axolotl::testing::write_file(tmp / "merge.yml", "base_model: " + (ref / "base").string() +
                                                      "\nadapter: lora\nlora_model_dir: " + (ref / "adapter").string() +
                                                      "\nbf16: false\nfloat32: true\n"
                                                      "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  auto run = axolotl::testing::run_axolotl({"merge", (tmp / "merge.yml").string(), "--output", (tmp / "out").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(axolotl::testing::read_file(ref / "logits.json"));
  auto rows = j["input_ids"].get<std::vector<std::vector<int64_t>>>();
  std::vector<int64_t> flat;
  for (auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  auto config = axolotl::model::load_llama_config((tmp / "out").string());
  axolotl::model::LlamaForCausalLM m(config, torch::TensorOptions());
  axolotl::model::load_weights(*m, (tmp / "out").string());
  const auto logits = m->forward(torch::tensor(flat).view({static_cast<int64_t>(rows.size()), -1}));
  const auto expect = torch::tensor(j["logits"].get<std::vector<float>>()).view(logits.sizes());
  EXPECT_LT((logits - expect).abs().max().item<double>(), 1e-4);
  // A second run refuses the now non-empty folder.
  auto again = axolotl::testing::run_axolotl({"merge", (tmp / "merge.yml").string(), "--output", (tmp / "out").string()});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
}

// The training precision (bf16 here) does not leak into a merge: the float32 base stays float32 unless
// --dtype asks otherwise, and the log says which dtype was written and why.
TEST(MergeCommand, WritesTheBaseDtypeUnlessDtypeIsGiven) {
  TempDir tmp;
  const auto ref = axolotl::testing::source_dir() / "tests/assets/adapters/peft_tiny";
  axolotl::testing::write_file(tmp / "merge.yml", "base_model: " + (ref / "base").string() +
                                                      "\nadapter: lora\nlora_model_dir: " + (ref / "adapter").string() +
                                                      "\nbf16: true\n"
                                                      "datasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  auto dtypes_of = [](const fs::path& folder) {
    const std::string bytes = axolotl::testing::read_file(folder / "model.safetensors");
    const auto h = axolotl::io::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m");
    std::set<axolotl::io::DType> out;
    for (const auto& t : h.tensors) out.insert(t.dtype);
    return out;
  };
  auto run = axolotl::testing::run_axolotl({"merge", (tmp / "merge.yml").string(), "--output", (tmp / "same").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(dtypes_of(tmp / "same"), std::set<axolotl::io::DType>{axolotl::io::DType::kF32});
  EXPECT_EQ(nlohmann::json::parse(axolotl::testing::read_file(tmp / "same" / "config.json"))["torch_dtype"], "float32");
  EXPECT_NE(run.err.find("as float32 (the base's torch_dtype"), std::string::npos) << run.err;
  run = axolotl::testing::run_axolotl(
      {"merge", (tmp / "merge.yml").string(), "--output", (tmp / "bf16").string(), "--dtype", "bf16"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(dtypes_of(tmp / "bf16"), std::set<axolotl::io::DType>{axolotl::io::DType::kBF16});
  EXPECT_EQ(nlohmann::json::parse(axolotl::testing::read_file(tmp / "bf16" / "config.json"))["torch_dtype"], "bfloat16");
  EXPECT_NE(run.err.find("as bfloat16 (--dtype"), std::string::npos) << run.err;
  run = axolotl::testing::run_axolotl(
      {"merge", (tmp / "merge.yml").string(), "--output", (tmp / "bad").string(), "--dtype", "int8"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
}

// Quantizing while loading (each projection as soon as its weight is in) gives the same model as
// loading everything dense and quantizing afterwards, and leaves no dense projection behind.
TEST(Injection, QuantizeWhileLoadingEqualsQuantizeAfter) {
  const fs::path dir = fs::temp_directory_path() / ("axolotl-qwl-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto source = axolotl::testing::make_tiny_model(3);
  axolotl::testing::write_model_folder(*source, dir);
  axolotl::config::QuantizationConfig quant;
  quant.load_in_4bit = true;
  auto load = [&](bool while_loading) {
    axolotl::model::LlamaForCausalLM m(axolotl::model::load_llama_config(dir.string()),
                                       torch::TensorOptions().dtype(torch::kFloat32));
    axolotl::model::load_weights(*m, dir.string(), while_loading ? ad::quantize_while_loading(*m, quant)
                                                                 : axolotl::model::TensorLoaded{});
    if (!while_loading) {
      EXPECT_GT(ad::quantize_base(*m, quant), 0);
    }
    EXPECT_EQ(ad::quantize_base(*m, quant), 0);  // nothing dense is left to quantize
    m->eval();
    return m->forward(axolotl::testing::tiny_input_ids()).detach();
  };
  const auto after = load(false);
  const auto during = load(true);
  EXPECT_TRUE(torch::equal(after, during));
  fs::remove_all(dir);
}
