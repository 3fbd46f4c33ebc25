// Axolotl's streaming-pretraining keys (config/pretrain_fields.cpp): pretraining_dataset entries in
// its three spellings, max_steps required, val_set_size / deduplication / SFT types refused by name,
// what is only noted (streaming with SFT datasets, the shuffle buffer, extra entries), and the
// resolved config (dump) reading back to the same settings.
#include <gtest/gtest.h>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "config_problems.h"

namespace axolotl::config {
namespace {

const char* kBase = "base_model: ./m\nsequence_len: 64\n";

using testing::problems_of;

std::vector<Diagnostic> problems(const std::string& yaml) { return problems_of(std::string(kBase) + yaml); }

int notes_naming(const LoadResult& r, const std::string& key) {
  int n = 0;
  for (const auto& d : r.notes) n += d.key.find(key) != std::string::npos;
  return n;
}

TEST(PretrainKeys, EntriesInEverySpelling) {
  auto r = load_string(std::string(kBase) + "max_steps: 5\npretraining_dataset:\n  - path: HuggingFaceFW/fineweb-edu\n"
                       "    name: sample-10BT\n    type: pretrain\n    text_column: body\n    split: train\n"
                       "    skip: 7\n    data_files: en/a.jsonl\n    trust_remote_code: false\n",
                       "t.yml");
  const auto& p = r.config.data.pretrain;
  ASSERT_EQ(p.datasets.size(), 1u);
  EXPECT_TRUE(p.enabled());
  EXPECT_EQ(p.datasets[0].path, "HuggingFaceFW/fineweb-edu");
  EXPECT_EQ(p.datasets[0].name, "sample-10BT");
  EXPECT_EQ(p.datasets[0].text_column, "body");
  EXPECT_EQ(p.datasets[0].skip, 7);
  EXPECT_EQ(p.datasets[0].data_files, std::vector<std::string>{"en/a.jsonl"});
  EXPECT_TRUE(p.multipack_attn);
  EXPECT_EQ(p.multipack_buffer_size, 10000);
  // a single map (Axolotl's normalize_config), a bare path, and a completion entry with `field`
  auto m = load_string(std::string(kBase) + "max_steps: 5\npretraining_dataset: {path: ./c.txt}\n", "t.yml").config;
  EXPECT_EQ(m.data.pretrain.datasets.at(0).path, "./c.txt");
  auto s = load_string(std::string(kBase) + "max_steps: 5\npretraining_dataset: ./c.jsonl\n", "t.yml").config;
  EXPECT_EQ(s.data.pretrain.datasets.at(0).path, "./c.jsonl");
  auto c = load_string(std::string(kBase) + "max_steps: 5\npretraining_dataset:\n  - path: wikitext\n"
                       "    name: wikitext-103-raw-v1\n    type: completion\n    field: text2\n", "t.yml").config;
  EXPECT_EQ(c.data.pretrain.datasets.at(0).type, "completion");
  EXPECT_EQ(c.data.pretrain.datasets.at(0).text_column, "text2");
}

TEST(PretrainKeys, MaxStepsIsRequired) {
  const auto p = problems("pretraining_dataset:\n  - path: ./c.txt\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "max_steps");
  EXPECT_NE(p[0].message.find("max_steps must be set when using pretraining_dataset"), std::string::npos) << p[0].str();
  EXPECT_FALSE(p[0].hint.empty());
  EXPECT_FALSE(problems("max_steps: 0\npretraining_dataset:\n  - path: ./c.txt\n").empty());
}

TEST(PretrainKeys, RefusedCombinationsAreNamed) {
  auto has = [](const std::vector<Diagnostic>& ps, const std::string& key) {
    for (const auto& p : ps)
      if (p.key.find(key) != std::string::npos) return true;
    return false;
  };
  const std::string pre = "max_steps: 5\npretraining_dataset:\n  - path: ./c.txt\n";
  EXPECT_TRUE(has(problems(pre + "val_set_size: 0.05\n"), "val_set_size"));
  EXPECT_TRUE(has(problems(pre + "dataset_exact_deduplication: true\n"), "dataset_exact_deduplication"));
  EXPECT_TRUE(has(problems("max_steps: 5\npretraining_dataset:\n  - path: ./c.txt\n    type: alpaca\n"),
                  "pretraining_dataset[0].type"));
  const auto typo = problems("max_steps: 5\npretraining_dataset:\n  - path: ./c.txt\n    text_colum: x\n");
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_NE(typo[0].hint.find("text_column"), std::string::npos) << typo[0].str();
  EXPECT_TRUE(has(problems("max_steps: 5\npretraining_dataset:\n  - name: en\n"), "pretraining_dataset"));
  EXPECT_TRUE(has(problems("max_steps: 5\npretraining_dataset: []\n"), "pretraining_dataset"));
  EXPECT_TRUE(has(problems("max_steps: 5\npretraining_dataset:\n  - path: ./c.txt\n    skip: -1\n"),
                  "skip"));
}

TEST(PretrainKeys, NotesForWhatRunsDifferently) {
  auto sft = load_string(std::string(kBase) + "datasets:\n  - path: d.jsonl\n    type: alpaca\nstreaming: true\n", "t.yml");
  EXPECT_EQ(notes_naming(sft, "streaming"), 1);
  auto pre = load_string(std::string(kBase) + "max_steps: 5\nstreaming: true\nsample_packing: true\n"
                         "pretraining_dataset:\n  - path: ./a.txt\n  - path: ./b.txt\n"
                         "streaming_multipack_buffer_size: 100\npretrain_multipack_attn: false\n", "t.yml");
  EXPECT_EQ(notes_naming(pre, "streaming_multipack_buffer_size"), 1);
  EXPECT_EQ(notes_naming(pre, "pretraining_dataset"), 1) << "the second entry is not streamed";
  EXPECT_EQ(notes_naming(pre, "pretraining_sample_concatenation"), 0) << "packed rows are concatenated anyway";
  EXPECT_FALSE(pre.config.data.pretrain.multipack_attn);
  EXPECT_EQ(pre.config.data.pretrain.multipack_buffer_size, 100);
  auto old = load_string(std::string(kBase) + "max_steps: 5\npretraining_dataset: ./a.txt\n"
                         "pretrain_multipack_buffer_size: 50\npretraining_sample_concatenation: true\n", "t.yml");
  EXPECT_EQ(old.config.data.pretrain.multipack_buffer_size, 50);
  EXPECT_EQ(notes_naming(old, "pretrain_multipack_buffer_size"), 1);
  EXPECT_EQ(notes_naming(old, "pretraining_sample_concatenation"), 0);
}

TEST(PretrainKeys, ResolvedConfigReadsBack) {
  const auto a = load_string(std::string(kBase) + "max_steps: 5\nsample_packing: true\npretrain_multipack_attn: false\n"
                             "pretraining_dataset:\n  - path: ./corpus\n    skip: 3\n    data_files: [a.txt, b.jsonl]\n",
                             "t.yml").config;
  const std::string yaml = to_yaml(a, "resolved");
  const auto b = load_string(yaml, "resolved.yml").config;
  ASSERT_EQ(b.data.pretrain.datasets.size(), 1u);
  EXPECT_EQ(b.data.pretrain.datasets[0].path, "./corpus");
  EXPECT_EQ(b.data.pretrain.datasets[0].skip, 3);
  EXPECT_EQ(b.data.pretrain.datasets[0].data_files, (std::vector<std::string>{"a.txt", "b.jsonl"}));
  EXPECT_FALSE(b.data.pretrain.multipack_attn);
  EXPECT_EQ(b.training.max_steps, 5);
}

}  // namespace
}  // namespace axolotl::config
