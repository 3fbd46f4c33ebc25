// The config's JSON Schema (config/schema.h) against the loader it describes: every key of the field
// tables and of the Python-only table is named, deprecated spellings are marked and, checked by the
// jsonschema package (tests/reference/config_schema_check.py), configs the loader takes pass in both
// YAML readings while typos, wrong enum values and wrong types fail in both, as they do in the loader.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "axolotl/config/registry.h"
#include "axolotl/config/schema.h"
#include "example_keys.h"
#include "schema_check.h"
#include "test_support.h"

namespace axolotl::config {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const Json& schema() {
  static const Json s = config_schema();
  return s;
}
// j[k], or null when j has no such key (a const operator[] must not be asked for a missing key)
Json at(const Json& j, const std::string& k) { return j.is_object() && j.contains(k) ? j[k] : Json(); }
Json flat() { return schema()["anyOf"][0]; }
Json nested() { return schema()["anyOf"][1]; }
Json definition(const std::string& name) { return at(schema()["definitions"], name); }
Json property(const Json& object, const std::string& key) { return at(at(object, "properties"), key); }

// A key the object schema names: a property, or one of its patternProperties matches it.
bool names_key(const Json& object, const std::string& key) {
  if (!property(object, key).is_null()) return true;
  if (!object.contains("patternProperties")) return false;
  for (const auto& [pattern, unused] : object["patternProperties"].items()) {
    if (std::regex_search(key, std::regex(pattern, std::regex::ECMAScript))) return true;
  }
  return false;
}

TEST(Schema, IsDraft07WithBothDialects) {
  EXPECT_EQ(schema()["$schema"], "http://json-schema.org/draft-07/schema#");
  ASSERT_EQ(schema()["anyOf"].size(), 2u);
  EXPECT_EQ(flat()["additionalProperties"], false);
  EXPECT_EQ(nested()["additionalProperties"], false);
  EXPECT_TRUE(is_generated_schema(schema().dump(2)));
  EXPECT_FALSE(is_generated_schema("{\"type\": \"object\"}"));
  EXPECT_EQ(schema_modeline(), "# yaml-language-server: $schema=axolotl.schema.json\n");
}

TEST(Schema, NamesEveryKeyOfTheFieldTables) {
  for (const auto& d : field_docs()) {
    const bool dataset = d.nested.rfind("datasets[].", 0) == 0 || (!d.flat.empty() && d.flat[0].rfind("datasets[].", 0) == 0);
    for (const auto& spelled : d.flat) {
      if (!dataset) {
        EXPECT_FALSE(property(flat(), spelled).is_null()) << spelled;
        continue;
      }
      const std::string k = spelled.substr(std::string("datasets[].").size());
      EXPECT_TRUE(!property(definition("flat_dataset"), k).is_null() || !property(definition("type_map"), k).is_null())
          << spelled;
    }
    if (d.nested.empty()) continue;
    if (dataset) {
      EXPECT_FALSE(property(definition("nested_dataset"), d.nested.substr(11)).is_null()) << d.nested;
      continue;
    }
    const auto dot = d.nested.find('.');
    const Json where = dot == std::string::npos ? nested() : property(nested(), d.nested.substr(0, dot));
    EXPECT_FALSE(property(where, dot == std::string::npos ? d.nested : d.nested.substr(dot + 1)).is_null())
        << d.nested;
    if (dot != std::string::npos) {
      EXPECT_EQ(at(where, "additionalProperties"), false) << d.nested;
    }
  }
}

// A field added without a schema would accept anything in editors: each one declares its value type.
TEST(Schema, EveryTableKeyHasATypeAndADescription) {
  auto check = [](const Json& object, const std::string& where) {
    ASSERT_TRUE(object.contains("properties")) << where;
    for (const auto& [key, p] : object["properties"].items()) {
      ASSERT_TRUE(p.contains("description")) << where << key;
      const std::string text = p["description"];
      const bool python_only = text.rfind("Accepted and ignored", 0) == 0 || text.rfind("Not supported", 0) == 0 ||
                               text.rfind("Deprecated in Axolotl", 0) == 0;
      if (python_only) continue;
      EXPECT_TRUE(p.contains("type") || p.contains("anyOf") || p.contains("enum") || p.contains("$ref"))
          << where << key << ": set Field::schema where the field is declared (value_schema.h)";
    }
  };
  check(flat(), "flat ");
  check(nested(), "nested ");
  const Json sections = property(nested(), "training").is_null() ? Json() : nested()["properties"];
  ASSERT_TRUE(sections.is_object());
  for (const auto& [name, section] : sections.items()) {
    if (section.contains("properties")) check(section, "nested " + name + ".");
  }
  for (const char* d : {"flat_dataset", "nested_dataset", "type_map"}) check(definition(d), std::string(d) + " ");
}

TEST(Schema, DeprecatedSpellingsPointAtTheNewName) {
  auto expect_deprecated = [](const Json& p, const std::string& new_name) {
    ASSERT_TRUE(p.is_object()) << new_name;
    EXPECT_EQ(p.value("deprecated", false), true) << p.dump();
    EXPECT_NE(p.value("description", "").find(new_name), std::string::npos) << p.dump();
  };
  expect_deprecated(property(flat(), "evaluation_strategy"), "eval_strategy");
  expect_deprecated(property(flat(), "pretrain_multipack_buffer_size"), "streaming_multipack_buffer_size");
  expect_deprecated(property(definition("flat_dataset"), "message_field_role"), "message_property_mappings.role");
  expect_deprecated(property(flat(), "flash_attention"), "Axolotl");  // deprecated upstream, ignored here
  EXPECT_FALSE(property(flat(), "eval_strategy").contains("deprecated"));
}

TEST(Schema, NamesEveryKeyOfAxolotlsExamples) {
  for (const auto& k : testing::read_keys()) {
    if (k.level == "top") {
      EXPECT_TRUE(names_key(flat(), k.key)) << k.key << " (line " << k.line << ")";
    } else {
      EXPECT_TRUE(names_key(definition("flat_dataset"), k.key)) << "dataset key " << k.key;
    }
  }
  // a prefix pattern does not swallow the implemented keys sharing its prefix
  const Json kto = property(flat(), "kto_desirable_weight");
  EXPECT_EQ(kto.value("description", "Not supported").find("Not supported"), std::string::npos);
  const Json patterns = at(flat(), "patternProperties");
  ASSERT_FALSE(patterns.empty());
  for (const auto& [pattern, p] : patterns.items()) {
    EXPECT_FALSE(std::regex_search(std::string("kto_desirable_weight"), std::regex(pattern))) << pattern;
    EXPECT_FALSE(std::regex_search(std::string("dpo_label_smoothing"), std::regex(pattern))) << pattern;
  }
}

// --- checked by the reference validator ---

const char* kBase = "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\n";

struct Case {
  std::string name;
  std::string yaml;
};

bool loads(const std::string& yaml) {
  try {
    load_string(yaml, "case.yml");
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}

testing::SchemaCheck check(const testing::TempDir& dir, const std::vector<Case>& cases) {
  testing::write_file(dir / "schema.json", schema().dump(2));
  std::vector<fs::path> files;
  for (const auto& c : cases) {
    files.push_back(dir / (c.name + ".yml"));
    testing::write_file(files.back(), c.yaml);
  }
  return testing::check_schema(dir / "schema.json", files);
}

TEST(SchemaCheck, IsAValidSchemaAndAcceptsWhatTheLoaderTakes) {
  const Config tiny = load_file((testing::source_dir() / "examples/tiny/config.yml").string()).config;
  std::vector<Case> cases = {
      {"flat", kBase},
      {"nested_dump", to_yaml(tiny, "validate's output: the nested dialect")},
      {"nested_one_dataset", "model:\n  name: ./m\ndataset:\n  path: d.jsonl\n  format: custom\n  columns: {instruction: q}\n"
                             "training:\n  learning_rate: 2e-5\n  precision: float32\nadapter:\n  type: lora\n  rank: 8\n"},
      {"yaml_versions", std::string(kBase) + "learning_rate: 2e-5\nsequence_len: 500_000\nsample_packing: yes\n"
                                             "eval_strategy: no\nwandb_project:\nbf16: auto\nlora_r: 1e1\n"},
      {"type_map", "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type:\n      field_instruction: q\n"
                   "      format: \"{instruction}\"\n"},
      {"pretraining", "base_model: ./m\nmax_steps: 10\npretraining_dataset:\n  - path: c.jsonl\n    type: pretrain\n"
                      "    text_column: text\n"},
      {"preference", "base_model: ./m\nrl: dpo\ndatasets:\n  - path: p.jsonl\n    type: chatml.intel\n"},
      {"foreign", std::string(kBase) + "wandb_project: p\nflash_attention: true\ndeepspeed: ds.json\n"
                                       "kto_desirable_weight: 1.0\n"},
  };
  for (const auto& c : cases) EXPECT_TRUE(loads(c.yaml)) << c.name << ":\n" << c.yaml;
  for (const auto& k : testing::read_keys()) {  // every key of Axolotl's examples, implemented, noted or refused
    cases.push_back({"key_" + k.level + "_" + k.key, testing::config_with(k)});
  }
  testing::TempDir dir;
  auto r = check(dir, cases);
  AXOLOTL_SKIP_WITHOUT_VALIDATOR(r);
  ASSERT_NE(r.exit_code, 2) << r.output;
  for (const auto& [path, message] : r.invalid) ADD_FAILURE() << path << ": " << message << "\n" << testing::read_file(path);
  EXPECT_EQ(r.ok.size(), cases.size()) << r.output;
}

TEST(SchemaCheck, RejectsTyposWrongValuesAndMixedDialectsAsTheLoaderDoes) {
  const std::vector<Case> cases = {
      {"typo_key", std::string(kBase) + "lerning_rate: 1e-4\n"},
      {"wrong_enum", std::string(kBase) + "lr_scheduler: cosin\n"},
      {"wrong_type", std::string(kBase) + "micro_batch_size: four\n"},
      {"out_of_range", std::string(kBase) + "lora_r: 0\n"},
      {"dataset_typo", "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    tpye: alpaca\n"},
      {"dataset_type", "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type: alpacca\n"},
      {"dataset_no_path", "base_model: ./m\ndatasets:\n  - type: alpaca\n"},
      {"type_map_typo", "base_model: ./m\ndatasets:\n  - path: d.jsonl\n    type:\n      field_instrction: q\n"},
      {"mixed", std::string(kBase) + "training:\n  epochs: 1\n"},
      {"nested_typo", "model:\n  name: ./m\ntraining:\n  learnig_rate: 1e-4\n"},
      {"nested_wrong_section", "model:\n  name: ./m\n  learning_rate: 1e-4\n"},
      {"pretraining_typo", "base_model: ./m\nmax_steps: 10\npretraining_dataset:\n  - path: c.jsonl\n    txt_column: t\n"},
      {"nested_flat_dataset_key", "model:\n  name: ./m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\n"},
  };
  for (const auto& c : cases) EXPECT_FALSE(loads(c.yaml)) << c.name << " loads, yet the schema must refuse it";
  testing::TempDir dir;
  auto r = check(dir, cases);
  AXOLOTL_SKIP_WITHOUT_VALIDATOR(r);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  for (const auto& c : cases) {
    EXPECT_TRUE(r.invalid.count((dir / (c.name + ".yml")).string())) << c.name << " passes the schema\n" << r.output;
  }
}

}  // namespace
}  // namespace axolotl::config
