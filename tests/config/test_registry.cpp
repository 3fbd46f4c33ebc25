// The field table: every key declared once, documented, and loadable in both dialects.
#include <gtest/gtest.h>

#include <set>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "axolotl/config/registry.h"
#include "config_texts.h"

namespace axolotl::config {

TEST(Registry, KeysAreUniqueAndDocumented) {
  std::set<std::string> nested, flat;
  auto docs = field_docs();
  ASSERT_GT(docs.size(), 80u);
  for (const auto& d : docs) {
    EXPECT_FALSE(d.help.empty()) << d.nested;
    EXPECT_FALSE(d.type.empty()) << d.nested;
    EXPECT_TRUE(!d.nested.empty() || !d.flat.empty());
    if (!d.nested.empty()) EXPECT_TRUE(nested.insert(d.nested).second) << "twice: " << d.nested;
    for (const auto& k : d.flat) EXPECT_TRUE(flat.insert(k).second) << "twice: " << k;
  }
  for (const char* k : {"base_model", "lora_r", "learning_rate", "micro_batch_size", "sequence_len", "bf16",
                        "output_dir", "datasets[].type", "datasets[].field_messages"}) {
    EXPECT_TRUE(flat.count(k)) << k;
  }
  for (const char* k : {"model.name", "training.learning_rate", "adapter.rank", "datasets[].format"}) {
    EXPECT_TRUE(nested.count(k)) << k;
  }
}

TEST(Registry, DefaultsComeFromTheStructs) {
  for (const auto& d : field_docs()) {
    if (d.nested == "training.learning_rate") EXPECT_EQ(d.default_value, "0.0002");
    if (d.nested == "adapter.rank") EXPECT_EQ(d.default_value, "8");
    if (d.nested == "training.optimizer") EXPECT_EQ(d.default_value, "\"adamw_torch\"");
  }
}

TEST(Registry, TableNamesBothSpellings) {
  std::string t = field_table();
  EXPECT_NE(t.find("adapter.rank | lora_r | int [1, 65536]"), std::string::npos) << t;
  EXPECT_NE(t.find("training.batch_size | micro_batch_size"), std::string::npos);
}

// Every nested field set to its own default from a YAML dump must load back to the same value:
// the dump is generated from the same table, so this checks each getter against its setter.
TEST(Registry, DumpOfEveryFieldLoadsBack) {
  auto first = load_string(testing::kNestedExample, "nested.yml");
  std::string yaml = to_yaml(first.config);
  auto second = load_string(yaml, "dump.yml");
  EXPECT_EQ(to_json(first.config).dump(1), to_json(second.config).dump(1)) << yaml;
  EXPECT_EQ(to_yaml(second.config), yaml);
}

TEST(Registry, EveryFlatKeyIsAccepted) {
  // Each flat key alone (with base_model) parses as "unset" when empty: no unknown-key errors.
  for (const auto& d : field_docs()) {
    for (const auto& k : d.flat) {
      if (k.rfind("datasets[]", 0) == 0 || k == "base_model") continue;
      EXPECT_NO_THROW(load_string("base_model: x\n" + k + ":\n", "k.yml")) << k;
    }
  }
}

}  // namespace axolotl::config
