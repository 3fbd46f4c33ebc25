// Every top-level and dataset-level key found in the example configs of Python Axolotl's examples/
// folder (tests/assets/config/axolotl_example_keys.tsv, one key per line with its class and a value
// taken from those examples) loads as its class says: implemented (read, no note), noted (accepted
// with exactly one warning naming it), refused (an error naming the key and the missing capability),
// never "unknown key". Keys another module is implementing now are listed with their owner.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "axolotl/config/loader.h"
#include "config_problems.h"
#include "example_keys.h"
#include "test_support.h"

namespace axolotl::config {
namespace {

using testing::config_with;
using testing::read_keys;

bool names(const Diagnostic& d, const std::string& key) {
  const std::string& s = d.key;
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1)) {
    const bool start = at == 0 || s[at - 1] == ' ' || s[at - 1] == '.' || s[at - 1] == ']';
    const size_t end = at + key.size();
    if (start && (end == s.size() || s[end] == ',')) return true;
  }
  return false;
}

TEST(ExampleKeys, AssetListsEveryClassAndNoDuplicates) {
  const auto keys = read_keys();
  ASSERT_GT(keys.size(), 200u) << "the sweep of Axolotl's examples lists over 200 keys";
  std::set<std::string> seen;
  for (const auto& k : keys) {
    EXPECT_TRUE(k.level == "top" || k.level == "dataset") << "line " << k.line;
    EXPECT_TRUE(k.cls == "implemented" || k.cls == "noted" || k.cls == "refused" || k.cls.rfind("other:", 0) == 0)
        << "line " << k.line << ": " << k.cls;
    EXPECT_TRUE(seen.insert(k.level + "/" + k.key).second) << "duplicate " << k.key;
  }
}

TEST(ExampleKeys, EachKeyLoadsAsItsClassSays) {
  for (const auto& k : read_keys()) {
    if (k.cls.rfind("other:", 0) == 0) continue;  // the owning module's tests decide
    SCOPED_TRACE("line " + std::to_string(k.line) + ": " + k.level + " key " + k.key + " (" + k.cls + ")");
    const std::string yaml = config_with(k);
    std::vector<Diagnostic> problems;
    LoadResult r;
    try {
      r = load_string(yaml, "example.yml");
    } catch (const ConfigError& e) {
      problems = e.problems();
    }
    for (const auto& p : problems) {
      EXPECT_EQ(p.message.find("unknown key"), std::string::npos) << p.str() << "\n" << yaml;
    }
    int notes = 0;
    for (const auto& n : r.notes) notes += names(n, k.key) ? 1 : 0;
    if (k.cls == "implemented") {
      EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].str()) << "\n" << yaml;
      for (const auto& n : r.notes) {
        EXPECT_EQ(n.message.find("accepted, ignored"), std::string::npos) << n.str();
      }
    } else if (k.cls == "noted") {
      EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].str()) << "\n" << yaml;
      EXPECT_EQ(notes, 1) << "exactly one warning naming the key\n" << yaml;
    } else {
      bool refused = false;
      for (const auto& p : problems) {
        if (names(p, k.key) && !p.hint.empty() && p.message.find("unknown") == std::string::npos) refused = true;
      }
      EXPECT_TRUE(refused) << "an error naming the key and the missing capability\n" << yaml;
    }
  }
}

// Tracker keys that a config repeats (wandb_project, wandb_entity, ...) share one warning.
TEST(ExampleKeys, KeysWithOneReasonShareOneWarning) {
  auto r = load_string("base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nwandb_project: p\n"
                       "wandb_entity: e\nwandb_watch: gradients\nuse_wandb: true\n",
                       "t.yml");
  int tracker = 0;
  for (const auto& n : r.notes) {
    if (n.message.find("experiment trackers") != std::string::npos) {
      ++tracker;
      EXPECT_NE(n.key.find("wandb_entity"), std::string::npos) << n.str();
      EXPECT_NE(n.key.find("use_wandb"), std::string::npos) << n.str();
    }
  }
  EXPECT_EQ(tracker, 1);
}

}  // namespace
}  // namespace axolotl::config

namespace axolotl::config {
namespace {

const char* kBase = "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nadapter: lora\n";

LoadResult load_with(const std::string& extra) { return load_string(std::string(kBase) + extra, "t.yml"); }

std::vector<Diagnostic> problems_with(const std::string& extra) { return testing::problems_of(std::string(kBase) + extra); }

TEST(ParityKeys, Yaml11IntegersWithUnderscores) {
  auto c = load_with("sequence_len: 500_000\nmin_sample_len: 2_0\n").config;
  EXPECT_EQ(c.data.sequence_len, 500000);
  EXPECT_EQ(c.data.min_sample_len, 20);
  EXPECT_FALSE(problems_with("sequence_len: '500_000'\n").empty());  // quoted: a string, as in PyYAML
}

TEST(ParityKeys, BatchSizeDerivesAccumulationAsAxolotl) {
  auto c = load_with("micro_batch_size: 4\nbatch_size: 16\n").config;
  EXPECT_EQ(c.training.gradient_accumulation_steps, 4);
  auto p = problems_with("micro_batch_size: 4\nbatch_size: 16\ngradient_accumulation_steps: 2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("gradient_accumulation_steps"), std::string::npos) << p[0].str();
  EXPECT_FALSE(problems_with("micro_batch_size: 4\nbatch_size: 2\n").empty());
}

TEST(ParityKeys, ArchivedTokensMapIsSpecialTokens) {
  auto r = load_with("tokens:\n  bos_token: \"<s>\"\n  pad_token: \"<pad>\"\n");
  EXPECT_EQ(r.config.tokenizer.special_tokens.at("pad_token"), "<pad>");
  EXPECT_TRUE(r.config.tokenizer.added_tokens.empty());
  auto l = load_with("tokens:\n  - \"<|im_start|>\"\n").config;
  EXPECT_EQ(l.tokenizer.added_tokens, std::vector<std::string>{"<|im_start|>"});
}

TEST(ParityKeys, GradientCheckpointingOffloadChecksPointsWithANote) {
  auto r = load_with("gradient_checkpointing: offload\n");
  EXPECT_TRUE(r.config.training.gradient_checkpointing);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].message.find("not offloaded"), std::string::npos);
  EXPECT_FALSE(problems_with("gradient_checkpointing: sometimes\n").empty());
}

TEST(ParityKeys, TargetModulesAsDottedSuffixesOrOneRegex) {
  auto c = load_with("lora_target_modules:\n  - self_attn.q_proj\n  - mlp.down_proj\n  - layers.3.mlp.up_proj\n").config;
  EXPECT_EQ(c.adapter.target_modules.size(), 3u);
  EXPECT_TRUE(c.adapter.target_regex.empty());
  auto p = problems_with("lora_target_modules:\n  - self_attn.up_proj\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("suffix"), std::string::npos) << p[0].str();
  c = load_with("lora_target_modules: 'model.layers.[\\d]+.(mlp|self_attn).(up|down|gate|q|k|v|o)_proj'\n").config;
  EXPECT_TRUE(c.adapter.target_modules.empty());
  EXPECT_EQ(c.adapter.target_regex, "model.layers.[\\d]+.(mlp|self_attn).(up|down|gate|q|k|v|o)_proj");
  // A multimodal Gemma-3's text tower as PEFT names it (examples/gemma3): accepted here, matched on the model.
  c = load_with("lora_target_modules: 'model.language_model.layers.[\\d]+.mlp.up_proj'\n").config;
  EXPECT_EQ(c.adapter.target_regex, "model.language_model.layers.[\\d]+.mlp.up_proj");
  p = problems_with("lora_target_modules: 'model.vision_tower.layers.[\\d]+.mlp.fc1'\n");  // a vision tower's names
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("matches no module"), std::string::npos) << p[0].str();
  EXPECT_FALSE(problems_with("lora_target_modules: 'model.(layers'\n").empty());  // not a regex
}

TEST(ParityKeys, SavingEvalAndDataKeys) {
  auto c = load_with("save_strategy: epoch\nsave_only_model: true\neval_batch_size: 3\ncurriculum_sampling: true\n"
                     "dataset_exact_deduplication: true\ncosine_constant_lr_ratio: 0.8\ncosine_min_lr_ratio: 0.1\n"
                     "torch_dtype: bfloat16\n")
               .config;
  EXPECT_EQ(c.checkpoint.save_strategy, SaveStrategy::kEpoch);
  EXPECT_TRUE(c.checkpoint.save_only_model);
  EXPECT_EQ(c.eval.eval_batch_size, 3);
  EXPECT_TRUE(c.data.curriculum_sampling);
  EXPECT_TRUE(c.data.exact_deduplication);
  EXPECT_DOUBLE_EQ(c.training.cosine_constant_lr_ratio, 0.8);
  EXPECT_EQ(c.model.dtype, DType::kBFloat16);
  EXPECT_FALSE(problems_with("save_strategy: best\n").empty());
}

// reinit_weights (examples/qwen2/*-pretrain-fsdp2.yaml) and sample_packing_sequentially
// (examples/llama-3/lora-1b-sample-packing-sequentially.yml).
TEST(ParityKeys, ReinitWeightsAndSequentialPacking) {
  auto r = load_with("reinit_weights: true\nsample_packing: true\nsample_packing_sequentially: true\n");
  EXPECT_TRUE(r.config.model.reinit_weights);
  EXPECT_TRUE(r.config.data.sample_packing_sequentially);
  int notes = 0;  // shuffled before the in-order packing unless curriculum_sampling
  for (const auto& n : r.notes) notes += n.key == "sample_packing_sequentially" ? 1 : 0;
  EXPECT_EQ(notes, 1);
  r = load_with("sample_packing: true\nsample_packing_sequentially: true\ncurriculum_sampling: true\n");
  for (const auto& n : r.notes) EXPECT_NE(n.key, "sample_packing_sequentially") << n.str();
  auto p = problems_with("reinit_weights: true\nload_in_8bit: true\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "reinit_weights");
  EXPECT_NE(p[0].message.find("quantized"), std::string::npos) << p[0].str();
}

// The optimizer names Axolotl's examples use: the AdamW variants run as AdamW (a note when the
// variant's states or kernel differ); muon runs as Muon; others that change the update are refused by name.
TEST(ParityKeys, AxolotlAdamWNamesRunAsAdamW) {
  for (const char* name : {"adamw_8bit", "adamw_bnb_8bit", "adamw_torch", "adamw_torch_4bit", "adamw_torch_8bit",
                           "adamw_torch_fused", "paged_adamw_32bit", "paged_adamw_8bit", "ao_adamw_8bit"}) {
    auto r = load_with(std::string("optimizer: ") + name + "\n");
    EXPECT_EQ(r.config.training.optimizer, Optimizer::kAdamW) << name;
    EXPECT_LE(r.notes.size(), 1u) << name;
  }
  EXPECT_EQ(load_with("optimizer: muon\n").config.training.optimizer, Optimizer::kMuon);  // train/muon.h
  auto p = problems_with("optimizer: dion\n");  // Axolotl's other orthonormal optimizer: not implemented
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("unsupported optimizer"), std::string::npos) << p[0].str();
}

// eval_strategy steps|epoch|no; the deprecated evaluation_strategy is read with a note unless
// eval_strategy is set too; the mismatches Axolotl's check_evals refuses are errors naming the key.
TEST(ParityKeys, EvalStrategyAndItsDeprecatedSpelling) {
  EXPECT_EQ(load_with("").config.eval.strategy, EvalStrategy::kAuto);
  auto r = load_with("eval_strategy: epoch\n");
  EXPECT_EQ(r.config.eval.strategy, EvalStrategy::kEpoch);
  EXPECT_TRUE(r.notes.empty());
  r = load_with("evaluation_strategy: \"no\"\n");
  EXPECT_EQ(r.config.eval.strategy, EvalStrategy::kNo);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].message.find("deprecated"), std::string::npos) << r.notes[0].str();
  EXPECT_EQ(load_with("eval_strategy: steps\nevaluation_strategy: epoch\n").config.eval.strategy, EvalStrategy::kSteps);
  EXPECT_EQ(load_with("eval_strategy: steps\neval_steps: 5\n").config.eval.eval_steps, 5);
  auto p = problems_with("eval_strategy: epoch\neval_steps: 5\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "eval_strategy");
  EXPECT_NE(p[0].message.find("mismatch"), std::string::npos) << p[0].str();
  p = problems_with("eval_strategy: \"no\"\nevals_per_epoch: 2\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("evals_per_epoch"), std::string::npos) << p[0].str();
  EXPECT_FALSE(problems_with("eval_strategy: best\n").empty());
}

// save_strategy: best needs metric_for_best_model (Axolotl's check_save_strategy_best_requires_metric);
// a supervised run's metric is one it evaluates; load_best_model_at_end holds as Axolotl's builder
// derives it (an eval split, save_steps a multiple of eval_steps; early_stopping_patience turns it on).
TEST(ParityKeys, BestCheckpointKeys) {
  auto r = load_with("save_strategy: best\nmetric_for_best_model: eval_loss\ngreater_is_better: false\n");
  EXPECT_EQ(r.config.checkpoint.save_strategy, SaveStrategy::kBest);
  EXPECT_EQ(r.config.eval.metric_for_best_model, "eval_loss");
  EXPECT_EQ(r.config.eval.greater_is_better, false);
  EXPECT_TRUE(r.notes.empty());
  auto p = problems_with("save_strategy: best\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "save_strategy");
  EXPECT_NE(p[0].message.find("metric_for_best_model"), std::string::npos) << p[0].str();
  p = problems_with("metric_for_best_model: eval_accuracy\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "metric_for_best_model");
  EXPECT_EQ(p[0].found, "eval_accuracy");
  EXPECT_EQ(load_with("metric_for_best_model: perplexity\n").config.eval.metric_for_best_model, "perplexity");

  const std::string aligned = "val_set_size: 0.1\neval_steps: 5\nsave_steps: 10\n";
  EXPECT_TRUE(load_with(aligned + "load_best_model_at_end: true\n").config.checkpoint.load_best_model_at_end);
  EXPECT_TRUE(load_with(aligned + "early_stopping_patience: 2\n").config.checkpoint.load_best_model_at_end);
  EXPECT_FALSE(load_with(aligned).config.checkpoint.load_best_model_at_end);
  r = load_with("val_set_size: 0.1\neval_steps: 4\nsave_steps: 10\nload_best_model_at_end: true\n");
  EXPECT_FALSE(r.config.checkpoint.load_best_model_at_end);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].key, "load_best_model_at_end");
  EXPECT_NE(r.notes[0].message.find("save_steps 10, eval_steps 4"), std::string::npos) << r.notes[0].str();
  EXPECT_FALSE(load_with("eval_steps: 5\nsave_steps: 10\nload_best_model_at_end: true\n")
                   .config.checkpoint.load_best_model_at_end);  // no eval split
}

TEST(ParityKeys, ResizeTokenEmbeddingsTo32x) {
  EXPECT_FALSE(load_with("").config.model.resize_token_embeddings_to_32x);
  auto r = load_with("resize_token_embeddings_to_32x: true\n");
  EXPECT_TRUE(r.config.model.resize_token_embeddings_to_32x);
  EXPECT_TRUE(r.notes.empty());
}

// Axolotl's default_system_message edits a sentence its chatml template does not contain: a no-op.
TEST(ParityKeys, DefaultSystemMessageIsNotedAsANoOp) {
  auto r = load_with("chat_template: chatml\ndefault_system_message: You are terse.\n");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].key, "default_system_message");
  EXPECT_NE(r.notes[0].message.find("no effect"), std::string::npos) << r.notes[0].str();
}

TEST(ParityKeys, TorchdistxPathWarnsEvenWhenEmpty) {
  auto r = load_with("torchdistx_path:\n");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].key, "torchdistx_path");
}

}  // namespace
}  // namespace axolotl::config
