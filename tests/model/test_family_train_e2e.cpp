// Training each family end to end through the real executable, on the tiny model `create-tiny --family F`
// makes (and on a multimodal Gemma-3 folder wrapped from the Gemma-3 one: text_config, the older
// language_model.model.* spelling, a vision tower): LoRA resume repeats the uninterrupted run bit for bit,
// 2 ranks (Gloo) equal 1 process, 8-bit and QLoRA train with a first loss within their quantization error
// of the dense one, full fine-tuning writes a model that generates (the whole checkpoint for the
// multimodal one, its vision tower unchanged), merge keeps the base's tensor names.
// Labelled slow (about 10-20 s per test on a shared 2-core machine).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "axolotl/io/safetensors.h"
#include "axolotl/model/family.h"
#include "axolotl/train/metrics_writer.h"
#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Rewrites a Gemma3ForCausalLM folder as a Gemma3ForConditionalGeneration one (configuration_gemma3.py,
// the pre-4.52 weight names most Hub checkpoints carry) with a small random SigLIP tower and projector.
void wrap_as_multimodal(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    const auto name = e.path().filename().string();
    if (name != "config.json" && name != "model.safetensors") fs::copy_file(e.path(), to / name);
  }
  json text = json::parse(read_file(from / "config.json"));
  json cfg = {{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"},
              {"image_token_index", text["vocab_size"].get<int64_t>() - 1}, {"mm_tokens_per_image", 4},
              {"vision_config", {{"model_type", "siglip_vision_model"}, {"hidden_size", 16}, {"patch_size", 4}}}};
  for (const char* key : {"bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype"}) {
    if (text.contains(key)) cfg[key] = text[key];
    text.erase(key);
  }
  text.erase("architectures");
  cfg["text_config"] = text;
  write_file(to / "config.json", cfg.dump(2) + "\n");
  auto file = io::SafetensorsFile::open((from / "model.safetensors").string());
  std::vector<io::TensorSource> out;
  for (const auto& info : file->tensors()) {
    out.push_back(io::tensor_from_bytes(model::tower_name(info.name, model::TowerLayout::kLegacy), info.dtype,
                                        info.shape, file->data(info)));
  }
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  auto random_bytes = [&](int64_t n) {
    std::vector<uint8_t> bytes(static_cast<size_t>(n) * 4);
    for (int64_t i = 0; i < n; ++i) {
      const float v = normal(gen);
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
    return bytes;
  };
  const int64_t hidden = text["hidden_size"].get<int64_t>();
  const std::vector<std::pair<std::string, std::vector<int64_t>>> vision = {
      {"vision_tower.vision_model.embeddings.patch_embedding.weight", {16, 3, 4, 4}},
      {"vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight", {16, 16}},
      {"vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight", {32, 16}},
      {"vision_tower.vision_model.post_layernorm.weight", {16}},
      {"multi_modal_projector.mm_input_projection_weight", {16, hidden}},
      {"multi_modal_projector.mm_soft_emb_norm.weight", {16}}};
  for (const auto& [name, shape] : vision) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    out.push_back(io::tensor_owning_bytes(name, io::DType::kF32, shape, random_bytes(n)));
  }
  io::write_safetensors((to / "model.safetensors").string(), out);
}

class FamilyTraining : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string family = GetParam() == "gemma3-multimodal" ? "gemma3" : GetParam();
    const auto r = run_axolotl({"create-tiny", "--output", (dir_ / "causal").string(), "--corpus",
                                (source_dir() / "examples/tiny/corpus.txt").string(), "--family", family});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    model_ = dir_ / "causal";
    if (GetParam() == "gemma3-multimodal") {
      model_ = dir_ / "multimodal";
      wrap_as_multimodal(dir_ / "causal", model_);
    }
  }

  fs::path config(const std::string& name, const std::string& extra) const {
    std::map<std::string, std::string> keys = {
        {"base_model", model_.string()}, {"dataset_prepared_path", (dir_ / "prepared").string()},
        {"output_dir", (dir_ / name).string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "4"},
        {"lora_alpha", "8"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"}, {"max_steps", "4"},
        {"learning_rate", "0.003"}, {"warmup_steps", "0"}, {"bf16", "false"}, {"seed", "5"},
        {"logging_steps", "1"}, {"threads", "1"}};
    return write_alpaca_config(dir_ / name, std::move(keys), extra);
  }

  std::vector<double> losses(const std::string& name) const {
    std::vector<double> v;
    for (const auto& j : train::read_metrics((dir_ / name / "metrics.jsonl").string())) {
      if (j.contains("loss")) v.push_back(j["loss"].get<double>());
    }
    return v;
  }

  std::vector<double> train(const std::string& name, const std::string& extra, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"train", config(name, extra).string()};
    args.insert(args.end(), more.begin(), more.end());
    const auto r = run_axolotl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return losses(name);
  }

  TempDir dir_;
  fs::path model_;
};

TEST_P(FamilyTraining, ResumeRepeatsTheUninterruptedRunBitForBit) {
  const std::string extra = "save_steps: 2\nlora_dropout: 0.1\n";
  const auto straight = train("straight", extra);
  ASSERT_EQ(straight.size(), 4u);
  fs::create_directories(dir_ / "resumed");
  fs::copy(dir_ / "straight" / "checkpoint-2", dir_ / "resumed" / "checkpoint-2", fs::copy_options::recursive);
  const auto resumed = train("resumed", extra + "auto_resume_from_checkpoints: true\n");
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0], straight[2]);
  EXPECT_EQ(resumed[1], straight[3]);
  EXPECT_EQ(read_file(dir_ / "straight" / "adapter_model.safetensors"),
            read_file(dir_ / "resumed" / "adapter_model.safetensors"));
}

TEST_P(FamilyTraining, TwoRanksMatchOneProcess) {
  const auto one = train("one", "max_steps: 2\n");
  const auto two = train("two", "max_steps: 2\nmicro_batch_size: 2\n", {"--nproc-per-node", "2"});
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_NEAR(one[i], two[i], 1e-5) << "step " << i + 1;
}

// The first loss is the base model's forward (LoRA B = 0): int8 (absmax per row) and NF4 move it by
// their quantization error only, and both train.
TEST_P(FamilyTraining, EightBitAndQloraTrainWithinTheirError) {
  const auto dense = train("dense", "max_steps: 2\n");
  const auto int8 = train("int8", "max_steps: 2\nload_in_8bit: true\n");
  const auto nf4 = train("nf4", "max_steps: 2\nadapter: qlora\nload_in_4bit: true\n");
  ASSERT_EQ(dense.size(), 2u);
  ASSERT_EQ(int8.size(), 2u);
  ASSERT_EQ(nf4.size(), 2u);
  EXPECT_NE(int8[0], dense[0]);  // quantized: not the dense forward
  EXPECT_NE(nf4[0], dense[0]);
  EXPECT_LT(std::abs(int8[0] - dense[0]), 0.01 * dense[0]) << int8[0] << " vs " << dense[0];
  EXPECT_LT(std::abs(nf4[0] - dense[0]), 0.05 * dense[0]) << nf4[0] << " vs " << dense[0];
  for (double l : {int8[1], nf4[1]}) EXPECT_TRUE(std::isfinite(l));
}

TEST_P(FamilyTraining, FullFineTuningStepWritesAModelThatGenerates) {
  const auto l = train("full", "max_steps: 2\nadapter: none\nlearning_rate: 0.0005\n");
  ASSERT_EQ(l.size(), 2u);
  const fs::path out = dir_ / "full";
  ASSERT_TRUE(fs::exists(out / "model.safetensors"));
  EXPECT_FALSE(fs::exists(out / "adapter_model.safetensors"));
  const auto r = run_axolotl({"inference", (dir_ / "full.yml").string(), "--set",
                              "model.name=" + out.string(), "--prompt", "The capital of France", "--max-new-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
}

// `merge` of the trained adapter keeps every base tensor name (a multimodal folder keeps its vision tower
// and spelling), and the merged folder generates what base + adapter generates.
TEST_P(FamilyTraining, MergedFolderKeepsTheBaseNamesAndGeneratesLikeTheAdapter) {
  ASSERT_EQ(train("lora", "max_steps: 2\n").size(), 2u);
  const fs::path cfg = dir_ / "lora.yml";
  auto r = run_axolotl({"merge", cfg.string(), "--set", "adapter.model_dir=" + (dir_ / "lora").string(), "--output",
                        (dir_ / "merged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto names = [](const fs::path& file) {
    std::vector<std::string> out;
    const auto f = io::SafetensorsFile::open(file.string());  // the file must outlive the loop
    for (const auto& info : f->tensors()) out.push_back(info.name);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names(dir_ / "merged" / "model.safetensors"), names(model_ / "model.safetensors"));
  EXPECT_EQ(json::parse(read_file(dir_ / "merged" / "config.json"))["architectures"],
            json::parse(read_file(model_ / "config.json"))["architectures"]);
  const auto with_adapter = run_axolotl({"inference", cfg.string(), "--set", "adapter.model_dir=" + (dir_ / "lora").string(),
                                         "--prompt", "The capital of France", "--max-new-tokens", "6"});
  const auto merged = run_axolotl({"inference", cfg.string(), "--set", "model.name=" + (dir_ / "merged").string(), "--set",
                                   "adapter.type=none", "--prompt", "The capital of France", "--max-new-tokens", "6"});
  ASSERT_EQ(with_adapter.exit_code, 0) << with_adapter.err;
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(with_adapter.out, merged.out);
  EXPECT_FALSE(merged.out.empty());
}

// A full fine-tune of the multimodal checkpoint is saved as the whole checkpoint (train/weights_writer.h),
// in output_dir and in every checkpoint: each base tensor name, the vision tower and projector bit-equal
// to the base, the text tower trained, the base's architectures; the output generates and trains again.
class MultimodalTraining : public FamilyTraining {};

TEST_P(MultimodalTraining, FullFineTuneKeepsTheVisionTower) {
  ASSERT_EQ(train("mmfull", "max_steps: 2\nadapter: none\nlearning_rate: 0.0005\nsave_steps: 1\n").size(), 2u);
  auto tensors = [](const fs::path& file) {
    std::map<std::string, std::string> out;
    const auto f = io::SafetensorsFile::open(file.string());
    for (const auto& info : f->tensors()) out[info.name] = std::string(reinterpret_cast<const char*>(f->data(info)), info.nbytes());
    return out;
  };
  const auto base = tensors(model_ / "model.safetensors");
  for (const fs::path out : {dir_ / "mmfull", dir_ / "mmfull" / "checkpoint-1"}) {
    SCOPED_TRACE(out.string());
    const auto saved = tensors(out / "model.safetensors");
    ASSERT_EQ(saved.size(), base.size());
    int64_t vision = 0, text = 0;
    for (const auto& [name, bytes] : base) {
      ASSERT_TRUE(saved.count(name)) << name;
      if (model::outside_text_tower(name)) {
        EXPECT_EQ(saved.at(name), bytes) << name;
        ++vision;
      } else {
        EXPECT_NE(saved.at(name), bytes) << name;
        ++text;
      }
    }
    EXPECT_EQ(vision, 6);
    EXPECT_GT(text, 10);
    const auto cfg = json::parse(read_file(out / "config.json"));
    EXPECT_EQ(cfg["architectures"], json::parse(read_file(model_ / "config.json"))["architectures"]);
    EXPECT_TRUE(cfg.contains("vision_config"));
  }
  const fs::path out = dir_ / "mmfull";
  const auto r = run_axolotl({"inference", (dir_ / "mmfull.yml").string(), "--set", "model.name=" + out.string(),
                              "--prompt", "The capital of France", "--max-new-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  EXPECT_EQ(train("again", "max_steps: 1\nadapter: none\nlearning_rate: 0.0005\n", {"--set", "model.name=" + out.string()}).size(), 1u);
  EXPECT_EQ(tensors(dir_ / "again" / "model.safetensors").size(), base.size());
}

INSTANTIATE_TEST_SUITE_P(Model, MultimodalTraining, ::testing::Values("gemma3-multimodal"),
                         [](const auto&) { return std::string("gemma3_multimodal"); });

INSTANTIATE_TEST_SUITE_P(Model, FamilyTraining,
                         ::testing::Values("qwen2", "qwen3", "gemma2", "gemma3", "phi3", "gemma3-multimodal"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

}  // namespace
}  // namespace axolotl::testing
