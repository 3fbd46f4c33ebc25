// Loading both dialects, overrides and their precedence, notes, and reporting every problem at once.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "config_problems.h"
#include "config_texts.h"
#include "test_support.h"

namespace axolotl::config {
namespace fs = std::filesystem;

namespace {
using testing::problems_of;

bool notes_mention(const LoadResult& r, const std::string& what) {
  for (const auto& n : r.notes) {
    if (n.str().find(what) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST(Loader, NestedExampleValidatesUnchanged) {
  auto r = load_string(testing::kNestedExample, "nested.yml");
  const Config& c = r.config;
  EXPECT_EQ(c.model.name, "meta-llama/Llama-2-7b-hf");
  EXPECT_EQ(c.model.dtype, DType::kBFloat16);
  ASSERT_EQ(c.data.datasets.size(), 1u);
  EXPECT_EQ(c.data.datasets[0].path, "./data/alpaca.json");
  EXPECT_EQ(c.data.datasets[0].format, DatasetFormat::kAlpaca);
  EXPECT_EQ(c.training.num_epochs, 3);
  EXPECT_EQ(c.training.micro_batch_size, 4);
  EXPECT_DOUBLE_EQ(c.training.learning_rate, 2e-4);
  EXPECT_EQ(c.training.gradient_accumulation_steps, 4);
  EXPECT_EQ(c.adapter.type, AdapterType::kLora);
  EXPECT_EQ(c.adapter.rank, 16);
  EXPECT_DOUBLE_EQ(c.adapter.alpha, 32);
  EXPECT_EQ(c.adapter.target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
}

TEST(Loader, NestedAndFlatDialectsResolveIdentically) {
  auto nested = load_string(testing::kNestedExample, "nested.yml");
  auto flat = load_string(testing::kFlatExample, "flat.yml");
  EXPECT_EQ(to_json(nested.config).dump(1), to_json(flat.config).dump(1));
  EXPECT_NE(to_json(nested.config).dump(), to_json(load_string("base_model: x\n", "d.yml").config).dump());
}

TEST(Loader, MixingDialectsIsAnErrorNamingBothSpellings) {
  auto p = problems_of("model:\n  name: x\nlora_r: 8\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 3);
  EXPECT_NE(p[0].str().find("adapter.rank"), std::string::npos) << p[0].str();
  auto q = problems_of("base_model: x\ntraining:\n  epochs: 1\n");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].str().find("training.epochs as num_epochs"), std::string::npos) << q[0].str();
}

TEST(Loader, EmptyValuesMeanUnset) {
  auto r = load_string("base_model: x\nadapter:\nlora_model_dir:\nlora_r:\nlearning_rate:\nspecial_tokens:\n", "e.yml");
  EXPECT_EQ(r.config.adapter.type, AdapterType::kNone);
  EXPECT_EQ(r.config.adapter.model_dir, "");
  EXPECT_EQ(r.config.adapter.rank, LoraConfig().rank);
  EXPECT_DOUBLE_EQ(r.config.training.learning_rate, TrainingConfig().learning_rate);
}

TEST(Loader, OverridesWinOverFileWhichWinsOverDefaults) {
  const std::string yaml = "base_model: x\nlearning_rate: 0.001\nlora_r: 4\n";
  auto file_only = load_string(yaml, "o.yml");
  EXPECT_DOUBLE_EQ(file_only.config.training.learning_rate, 0.001);
  EXPECT_EQ(file_only.config.training.micro_batch_size, TrainingConfig().micro_batch_size);
  auto flat = load_string(yaml, "o.yml", {"learning_rate=5e-3", "micro_batch_size=3"});
  EXPECT_DOUBLE_EQ(flat.config.training.learning_rate, 5e-3);
  EXPECT_EQ(flat.config.training.micro_batch_size, 3);
  auto nested = load_string(yaml, "o.yml", {"training.learning_rate=7e-3", "adapter.target_modules=[q_proj, k_proj]"});
  EXPECT_DOUBLE_EQ(nested.config.training.learning_rate, 7e-3);
  EXPECT_EQ(nested.config.adapter.target_modules, (std::vector<std::string>{"q_proj", "k_proj"}));
  // Later overrides win; an empty value restores the default.
  auto last = load_string(yaml, "o.yml", {"lora_r=32", "adapter.rank=64", "learning_rate="});
  EXPECT_EQ(last.config.adapter.rank, 64);
  EXPECT_DOUBLE_EQ(last.config.training.learning_rate, TrainingConfig().learning_rate);
  // Keys spelt alike in both dialects follow the file's dialect.
  auto ds = load_string(yaml, "o.yml", {"datasets=[{path: a.jsonl, type: completion}]"});
  ASSERT_EQ(ds.config.data.datasets.size(), 1u);
  EXPECT_EQ(ds.config.data.datasets[0].format, DatasetFormat::kCompletion);
  // Overrides apply to nested files too, in either spelling.
  auto n = load_string(testing::kNestedExample, "n.yml", {"num_epochs=5"});
  EXPECT_EQ(n.config.training.num_epochs, 5);
}

TEST(Loader, BadOverridesAreErrors) {
  auto p = problems_of("base_model: x\n", {"learnin_rate=1", "lora_r=zero", "novalue"});
  ASSERT_EQ(p.size(), 3u);
  std::string all;
  for (const auto& d : p) all += d.str() + "\n";
  EXPECT_NE(all.find("did you mean 'learning_rate'"), std::string::npos) << all;
  EXPECT_NE(all.find("lora_r: wrong type"), std::string::npos) << all;
  EXPECT_NE(all.find("KEY=VALUE"), std::string::npos) << all;
}

TEST(Loader, DidYouMeanInBothDialects) {
  auto flat = problems_of("base_model: x\nmicro_batchsize: 2\n");
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].hint, "did you mean 'micro_batch_size'?");
  EXPECT_EQ(flat[0].where.line, 2);
  EXPECT_EQ(flat[0].where.column, 1);
  auto nested = problems_of("model:\n  nme: x\n");
  ASSERT_EQ(nested.size(), 2u);  // and: no base model
  EXPECT_EQ(nested[1].hint, "did you mean 'model.name'?");
  EXPECT_EQ(nested[1].where.line, 2);
  auto far = problems_of("base_model: x\nzzzzzzzzzz: 1\n");
  ASSERT_EQ(far.size(), 1u);
  EXPECT_EQ(far[0].hint, "");
}

TEST(Loader, EveryProblemIsReportedInOneRun) {
  auto p = problems_of(
      "base_model: x\nlora_r: 0\nlora_dropout: 1.5\nmicro_batch_size: 0\nlearning_rate: -1\n"
      "adapter: qlora\nlora_target_modules: [foo]\nunknown_key: 1\nseed: 1\nseed: 2\n");
  EXPECT_GE(p.size(), 8u);
  for (const auto& d : p) EXPECT_GT(d.where.line, 0) << d.str();
}

TEST(Loader, PythonOnlyKeysAreNotesAndResultChangingKeysAreErrors) {
  auto r = load_string("base_model: x\nflash_attention: true\nwandb_project: p\ndeepspeed: z.json\n"
                       "optimizer: paged_adamw_8bit\nrl:\n", "n.yml");
  EXPECT_TRUE(notes_mention(r, "flash_attention"));
  EXPECT_TRUE(notes_mention(r, "wandb_project"));
  EXPECT_TRUE(notes_mention(r, "deepspeed"));
  EXPECT_TRUE(notes_mention(r, "paged_adamw_8bit"));
  EXPECT_EQ(r.config.training.optimizer, Optimizer::kAdamW);
  auto p = problems_of("base_model: x\nrl: grpo\nneftune_noise_alpha: 5\n");  // online RL: refused
  EXPECT_EQ(p.size(), 2u);
  // Refused alone: its prompt datasets are not also reported as "needs preference rows".
  p = problems_of("base_model: x\nrl: ebft\ndatasets:\n  - path: d.jsonl\n    type: completion\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("online RL"), std::string::npos) << p[0].message;
}

TEST(Loader, MuonTakesItsFactorysAdamBetasUnlessBothAreSet) {
  // examples/qwen2/muon-pretrain-fsdp2.yaml; Axolotl's MuonOptimizerFactory uses (0.9, 0.95) for its AdamW
  // groups unless adam_beta1 and adam_beta2 are both given.
  auto c = load_string("base_model: x\noptimizer: muon\nadam_beta2: 0.98\n", "m.yml").config;
  EXPECT_EQ(c.training.optimizer, Optimizer::kMuon);
  EXPECT_EQ(c.training.optimizer_name, "muon");
  EXPECT_EQ(c.training.adam_beta1, 0.9);
  EXPECT_EQ(c.training.adam_beta2, 0.95);
  c = load_string("base_model: x\noptimizer: muon\nadam_beta1: 0.8\nadam_beta2: 0.98\n", "m.yml").config;
  EXPECT_EQ(c.training.adam_beta1, 0.8);
  EXPECT_EQ(c.training.adam_beta2, 0.98);
  EXPECT_EQ(load_string("base_model: x\n", "m.yml").config.training.adam_beta2, 0.999);  // AdamW keeps HF's
}

TEST(Loader, HugeFilesAreFast) {
  std::string unknown = "base_model: x\n";
  for (int i = 0; i < 20000; ++i) unknown += "key_" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  auto t0 = std::chrono::steady_clock::now();
  auto p = problems_of(unknown);
  EXPECT_GT(p.size(), 100u);  // capped, with a final "N more problems" line
  EXPECT_NE(p.back().message.find("more problems"), std::string::npos);
  std::string many = "base_model: x\ndatasets:\n";
  for (int i = 0; i < 20000; ++i) many += "  - path: d" + std::to_string(i) + ".jsonl\n    type: completion\n";
  auto r = load_string(many, "many.yml");
  EXPECT_EQ(r.config.data.datasets.size(), 20000u);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 5.0);
}

TEST(Loader, MissingFileIsAnIoError) {
  EXPECT_THROW(load_file("/nonexistent/dir/x.yml"), IoError);
  EXPECT_THROW(load_file(testing::source_dir().string()), IoError);
}

// Every YAML under configs/ and examples/ validates (globbed now, so new files are covered).
TEST(Loader, BundledConfigsValidate) {
  int n = 0;
  for (const char* dir : {"configs", "examples"}) {
    fs::path root = testing::source_dir() / dir;
    if (!fs::is_directory(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      auto ext = e.path().extension();
      if (ext != ".yml" && ext != ".yaml") continue;
      EXPECT_NO_THROW(load_file(e.path().string())) << e.path();
      ++n;
    }
  }
  EXPECT_GE(n, 5);
}

TEST(Loader, AxolotlExamplesValidateAndRoundTrip) {
  AXOLOTL_REQUIRE_SHARED();
  fs::path dir = testing::shared_dir() / "axolotl-examples";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no axolotl-examples";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yml") continue;
    LoadResult r;
    ASSERT_NO_THROW(r = load_file(e.path().string())) << e.path();
    EXPECT_EQ(r.config.model.name, "NousResearch/Llama-2-7b-hf");
    auto again = load_string(to_yaml(r.config), "dump.yml");
    EXPECT_EQ(to_json(r.config).dump(), to_json(again.config).dump()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 4);
  auto qlora = load_file((dir / "llama-2_qlora.yml").string());
  EXPECT_EQ(qlora.config.adapter.type, AdapterType::kQlora);
  EXPECT_TRUE(qlora.config.quantization.load_in_4bit);
  EXPECT_EQ(qlora.config.adapter.target_modules.size(), 7u);  // lora_target_linear
  auto old = load_file((dir / "llama-2_lora_2024.yml").string());
  EXPECT_TRUE(notes_mention(old, "deprecated"));
}

// chat_template_kwargs: any values, read as PyYAML reads them, kept in the file's key order (the
// template may print them with tojson); a non-map is an error naming the key.
TEST(Loader, ChatTemplateKwargsKeepTypesAndOrder) {
  auto r = load_string("base_model: x\nchat_template_kwargs:\n  enable_thinking: false\n"
                       "  style: {zz: 1, aa: [x, 2.5, \"3\", ~, yes, -4]}\n", "k.yml");
  EXPECT_EQ(r.config.data.chat_template_kwargs,
            R"({"enable_thinking":false,"style":{"zz":1,"aa":["x",2.5,"3",null,true,-4]}})");
  auto dumped = to_json(r.config);
  EXPECT_EQ(dumped["data"]["chat_template_kwargs"].dump(), r.config.data.chat_template_kwargs) << dumped.dump();
  EXPECT_TRUE(load_string("base_model: x\n", "k.yml").config.data.chat_template_kwargs.empty());
  auto p = problems_of("base_model: x\nchat_template_kwargs: [enable_thinking]\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "chat_template_kwargs");
}

}  // namespace axolotl::config
