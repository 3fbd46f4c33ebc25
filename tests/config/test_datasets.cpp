// Dataset entries in both dialects: type names, user-defined types, sharegpt/chat_template keys.
#include <gtest/gtest.h>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"

namespace axolotl::config {

namespace {
DatasetConfig only_dataset(const std::string& yaml) {
  auto r = load_string(yaml, "d.yml");
  EXPECT_EQ(r.config.data.datasets.size(), 1u);
  return r.config.data.datasets.empty() ? DatasetConfig{} : r.config.data.datasets[0];
}
}  // namespace

TEST(Datasets, TypeNamesMapToFormats) {
  const std::pair<const char*, DatasetFormat> cases[] = {
      {"alpaca", DatasetFormat::kAlpaca},          {"alpaca:chat", DatasetFormat::kAlpacaChat},
      {"alpaca:chatml", DatasetFormat::kAlpacaChatml}, {"alpaca:phi", DatasetFormat::kAlpacaPhi},
      {"completion", DatasetFormat::kCompletion},
      {"chat_template", DatasetFormat::kChatTemplate}, {"sharegpt", DatasetFormat::kChatTemplate},
      {"input_output", DatasetFormat::kInputOutput}};
  for (const auto& [name, format] : cases) {
    auto d = only_dataset(std::string("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: ") + name + "\n");
    EXPECT_EQ(d.format, format) << name;
    EXPECT_EQ(d.type_name, name);
  }
}

TEST(Datasets, OmittedTypeMeansPretokenizedRows) {
  auto d = only_dataset("base_model: x\ndatasets:\n  - path: tokens.jsonl\n    ds_type: json\n    split: train\n");
  EXPECT_EQ(d.format, DatasetFormat::kPretokenized);
  EXPECT_EQ(d.ds_type, "json");
}

TEST(Datasets, UserDefinedTypeMap) {
  auto d = only_dataset(
      "base_model: x\ndatasets:\n  - path: qa.jsonl\n    type:\n      field_instruction: question\n"
      "      field_input: context\n      field_output: answer\n      format: \"Q: {instruction}\\n{input}\\nA: \"\n"
      "      no_input_format: \"Q: {instruction}\\nA: \"\n      system_prompt: Be brief.\n");
  EXPECT_EQ(d.format, DatasetFormat::kCustom);
  EXPECT_EQ(d.field_instruction, "question");
  EXPECT_EQ(d.field_input, "context");
  EXPECT_EQ(d.field_output, "answer");
  EXPECT_EQ(d.prompt_format, "Q: {instruction}\n{input}\nA: ");
  EXPECT_EQ(d.no_input_format, "Q: {instruction}\nA: ");
  EXPECT_EQ(d.system_prompt, "Be brief.");
}

// Under rl a `type:` map is Axolotl's user_defined.default (utils/data/rl.py): its keys are kept for the
// renderer; keys the method does not read, or rl keys without rl, are errors naming them.
TEST(Datasets, RlTypeMapIsUserDefinedDefault) {
  const std::string kto =
      "base_model: x\nrl: kto\nmicro_batch_size: 2\ndatasets:\n  - path: k.jsonl\n    type:\n      field_prompt: q\n"
      "      field_system: sys\n      field_completion: a\n      field_label: ok\n      prompt_format: \"{system} {prompt}\"\n";
  auto d = only_dataset(kto);
  EXPECT_EQ(d.format, DatasetFormat::kPreference);
  EXPECT_EQ(d.type_name, "user_defined.default");
  EXPECT_EQ(d.user_defined.at("field_prompt"), "q");
  EXPECT_EQ(d.user_defined.at("field_label"), "ok");
  EXPECT_EQ(d.user_defined.at("prompt_format"), "{system} {prompt}");
  EXPECT_EQ(d.field_system, "sys");
  auto problem = [](const std::string& yaml) -> std::string {
    try {
      load_string(yaml, "u.yml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string dpo_in_kto = problem(kto + "      field_chosen: c\n");
  EXPECT_NE(dpo_in_kto.find("does not read 'field_chosen'"), std::string::npos) << dpo_in_kto;
  const std::string sft_in_kto = problem(kto + "      field_instruction: i\n");
  EXPECT_NE(sft_in_kto.find("field_instruction"), std::string::npos) << sft_in_kto;
  const std::string no_rl = problem("base_model: x\ndatasets:\n  - path: k.jsonl\n    type:\n      field_prompt: q\n");
  EXPECT_NE(no_rl.find("read by rl's user_defined.default"), std::string::npos) << no_rl;
  auto dpo = only_dataset("base_model: x\nrl: dpo\ndatasets:\n  - path: p.jsonl\n    type:\n      field_chosen: good\n"
                          "      chosen_format: \"{chosen}!\"\n");
  EXPECT_EQ(dpo.type_name, "user_defined.default");
  EXPECT_EQ(dpo.user_defined.at("chosen_format"), "{chosen}!");
}

// Under rl a dataset without `type:` holds rows already in TRL's shape (utils/data/rl.py _load_split
// skips the transform): DPO-family and ORPO read them as passthrough, KTO as user_defined.default with
// its defaults. Axolotl's other DPO strategies are taken by name.
TEST(Datasets, RlWithoutTypeTakesTheRowsAsTheyAre) {
  for (const char* rl : {"dpo", "ipo", "simpo", "orpo"}) {
    auto d = only_dataset(std::string("base_model: x\nrl: ") + rl + "\ndatasets:\n  - path: p.jsonl\n");
    EXPECT_EQ(d.format, DatasetFormat::kPreference) << rl;
    EXPECT_EQ(d.type_name, "passthrough.default") << rl;
  }
  auto k = only_dataset("base_model: x\nrl: kto\nmicro_batch_size: 2\ndatasets:\n  - path: k.jsonl\n");
  EXPECT_EQ(k.type_name, "user_defined.default");
  EXPECT_TRUE(k.user_defined.empty());
  for (const char* t : {"chat_template.argilla_chat", "zephyr.nectar", "passthrough"}) {
    auto d = only_dataset(std::string("base_model: x\nrl: dpo\ndatasets:\n  - path: p.jsonl\n    type: ") + t + "\n");
    EXPECT_EQ(d.format, DatasetFormat::kPreference) << t;
    EXPECT_EQ(d.type_name, t);
  }
  try {  // Axolotl has no KTO nectar: refused by name
    load_string("base_model: x\nrl: kto\nmicro_batch_size: 2\ndatasets:\n  - path: p.jsonl\n    type: zephyr.nectar\n", "z.yml");
    FAIL() << "zephyr.nectar under rl: kto";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("zephyr.nectar"), std::string::npos) << e.what();
  }
  // Without rl, no `type:` stays pre-tokenized rows.
  EXPECT_EQ(only_dataset("base_model: x\ndatasets:\n  - path: p.jsonl\n").format, DatasetFormat::kPretokenized);
}

TEST(Datasets, NestedCustomColumnsEqualFlatTypeMap) {
  auto nested = load_string(
      "model:\n  name: x\ndataset:\n  path: qa.jsonl\n  format: custom\n  columns:\n    instruction: q\n"
      "    input: ctx\n    output: a\n  prompt_format: \"{instruction} {input}\"\n", "n.yml");
  auto flat = load_string(
      "base_model: x\ndatasets:\n  - path: qa.jsonl\n    type:\n      field_instruction: q\n      field_input: ctx\n"
      "      field_output: a\n      format: \"{instruction} {input}\"\n", "f.yml");
  EXPECT_EQ(to_json(nested.config).dump(1), to_json(flat.config).dump(1));
}

TEST(Datasets, ChatTemplateKeys) {
  auto d = only_dataset(
      "base_model: x\nchat_template: chatml\ndatasets:\n  - path: chats.jsonl\n    type: chat_template\n"
      "    field_messages: conversations\n    message_property_mappings:\n      role: from\n      content: value\n"
      "    roles:\n      user: [human]\n      assistant: [gpt]\n    roles_to_train: [assistant]\n    train_on_eos: turn\n");
  EXPECT_EQ(d.field_messages, "conversations");
  EXPECT_EQ(d.message_property_mappings.at("role"), "from");
  EXPECT_EQ(d.roles.at("user"), std::vector<std::string>{"human"});
  EXPECT_EQ(d.roles_to_train, std::vector<std::string>{"assistant"});
  EXPECT_EQ(d.train_on_eos_turn, std::optional<bool>(true));
}

TEST(Datasets, SharegptGetsShareGptFieldNames) {
  auto d = only_dataset("base_model: x\ndatasets:\n  - path: c.json\n    type: sharegpt\n");
  EXPECT_EQ(d.format, DatasetFormat::kChatTemplate);
  EXPECT_EQ(d.field_messages, "conversations");
  EXPECT_EQ(d.message_property_mappings.at("content"), "value");
  EXPECT_EQ(d.roles_to_train, std::vector<std::string>{"assistant"});  // resolved default
}

// Axolotl reads ds_cfg.get("roles_to_train", ["assistant"]) from a config dumped with exclude_none:
// an explicit [] trains no role, while null (like train_on_eos: null) is the same as unset.
TEST(Datasets, RolesToTrainEmptyListIsKeptNullIsTheDefault) {
  auto chat = [](const std::string& extra) {
    return only_dataset("base_model: x\ndatasets:\n  - path: c.jsonl\n    type: chat_template\n" + extra);
  };
  EXPECT_TRUE(chat("    roles_to_train: []\n").roles_to_train.empty());
  EXPECT_EQ(chat("    roles_to_train:\n").roles_to_train, std::vector<std::string>{"assistant"});
  EXPECT_EQ(chat("").roles_to_train, std::vector<std::string>{"assistant"});
  EXPECT_EQ(chat("    roles_to_train: [user]\n").roles_to_train, std::vector<std::string>{"user"});
  auto legacy = chat("    roles_to_train:\n    train_on_eos:\n");  // Axolotl's docs' "(Legacy)" example
  EXPECT_EQ(legacy.roles_to_train, std::vector<std::string>{"assistant"});
  EXPECT_EQ(legacy.train_on_eos, "");  // unset: turn
  auto nested = load_string("model:\n  name: x\ndataset:\n  path: c.jsonl\n  format: chat_template\n"
                            "  roles_to_train: []\n", "n.yml");
  ASSERT_EQ(nested.config.data.datasets.size(), 1u);
  EXPECT_TRUE(nested.config.data.datasets[0].roles_to_train.empty());
  EXPECT_TRUE(only_dataset("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: alpaca\n").roles_to_train.empty());
}

TEST(Datasets, TestDatasetsAndSingleNestedDataset) {
  auto r = load_string("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: completion\n    field: text\n"
                       "test_datasets:\n  - path: b.jsonl\n    type: completion\n", "t.yml");
  ASSERT_EQ(r.config.data.test_datasets.size(), 1u);
  EXPECT_EQ(r.config.data.test_datasets[0].path, "b.jsonl");
  EXPECT_EQ(r.config.data.datasets[0].field, "text");
}

// Axolotl's JeopardyPrompter is alpaca over question / category / answer (the answer gets "what is ").
TEST(Datasets, JeopardyIsAlpacaOverItsColumns) {
  auto d = only_dataset("base_model: x\ndatasets:\n  - path: j.jsonl\n    type: jeopardy\n");
  EXPECT_EQ(d.format, DatasetFormat::kAlpaca);
  EXPECT_EQ(d.type_name, "jeopardy");
  EXPECT_EQ(d.field_instruction, "question");
  EXPECT_EQ(d.field_input, "category");
  EXPECT_EQ(d.field_output, "answer");
}

// Python Axolotl's other strategies are refused by name ("not supported"), typos get a suggestion.
TEST(Datasets, AxolotlStrategiesOutsideTheSubsetAreRefusedByName) {
  for (const char* type : {"bradley_terry.llama3", "pygmalion", "ebft_pretrain.transform", "oasst",
                           "alpaca_w_system.load_open_orca"}) {
    try {
      load_string(std::string("base_model: x\ndatasets:\n  - path: a\n    type: ") + type + "\n", "s.yml");
      ADD_FAILURE() << type;
    } catch (const ConfigError& e) {
      ASSERT_EQ(e.problems().size(), 1u);
      EXPECT_NE(std::string(e.what()).find("' is not supported here"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("unknown dataset format"), std::string::npos) << e.what();
    }
  }
}

TEST(Datasets, EntryProblemsNameTheEntry) {
  try {
    load_string("base_model: x\ndatasets:\n  - path: a\n    type: alpaca\n  - type: alpacha\n", "e.yml");
    FAIL();
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 2u);  // unknown format, missing path
    std::string all = e.what();
    EXPECT_NE(all.find("datasets[1].type"), std::string::npos) << all;
    EXPECT_NE(all.find("did you mean 'alpaca'"), std::string::npos) << all;
    EXPECT_NE(all.find("e.yml:5:"), std::string::npos) << all;
  }
}

// chat_template names are checked at load (validate), with a did-you-mean, for the top level and
// each dataset entry; jinja needs its text; chat_template_jinja alone means jinja (Axolotl's rule).
TEST(Datasets, ChatTemplateNamesCheckedAtLoad) {
  auto problem = [](const std::string& yaml) -> std::string {
    try {
      load_string(yaml, "c.yml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string ds = "datasets:\n  - path: a.jsonl\n    type: chat_template\n";
  std::string e = problem("base_model: x\nchat_template: chatlm\n" + ds);
  EXPECT_NE(e.find("unknown chat template"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'chatml'"), std::string::npos) << e;
  EXPECT_NE(e.find("c.yml:2:"), std::string::npos) << e;
  e = problem("base_model: x\n" + ds + "    chat_template: qwen_2.5\n");
  EXPECT_NE(e.find("datasets[0].chat_template"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'qwen_25'"), std::string::npos) << e;
  e = problem("base_model: x\nchat_template: tokenizer_default_fallback_lama3\n" + ds);
  EXPECT_NE(e.find("did you mean 'tokenizer_default_fallback_llama3'"), std::string::npos) << e;
  e = problem("base_model: x\nchat_template: llama4\n" + ds);
  EXPECT_NE(e.find("Axolotl's chat template 'llama4' is not supported here (not bundled)"), std::string::npos) << e;
  e = problem("base_model: x\nchat_template: jinja\n" + ds);
  EXPECT_NE(e.find("chat_template_jinja"), std::string::npos) << e;
  e = problem("base_model: x\n" + ds + "    chat_template: jinja\n");
  EXPECT_NE(e.find("datasets[0].chat_template_jinja"), std::string::npos) << e;

  for (const char* ok : {"chatml", "mistral", "mistral_v3_tekken", "tokenizer_default", "tokenizer_default_fallback_qwen3"}) {
    EXPECT_EQ(problem(std::string("base_model: x\nchat_template: ") + ok + "\n" + ds), "") << ok;
  }
  auto r = load_string("base_model: x\nchat_template_jinja: \"{{ messages }}\"\n" + ds, "c.yml");
  EXPECT_EQ(r.config.data.chat_template, "jinja");
  auto d = only_dataset("base_model: x\n" + ds + "    chat_template_jinja: \"{% for m in messages %}{% endfor %}\"\n");
  EXPECT_EQ(d.chat_template_jinja, "{% for m in messages %}{% endfor %}");
  // A dataset's jinja may use the top-level text (as Axolotl's normalize_config copies it).
  EXPECT_EQ(problem("base_model: x\nchat_template_jinja: \"{{ messages }}\"\n" + ds + "    chat_template: jinja\n"), "");
  r = load_string("base_model: x\nchat_template: chatml\nchat_template_jinja: \"{{ x }}\"\n" + ds, "c.yml");
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.message.find("ignored") != std::string::npos;
  EXPECT_TRUE(noted);
}

// Axolotl's legacy message_field_role/content: read as mappings (also under sharegpt's defaults);
// a different message_property_mappings value is a conflict, as in handle_legacy_message_fields_logic.
TEST(Datasets, LegacyMessageFieldsAndConflicts) {
  auto d = only_dataset("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: sharegpt\n    message_field_role: speaker\n");
  EXPECT_EQ(d.message_property_mappings["role"], "speaker");
  EXPECT_EQ(d.message_property_mappings["content"], "value");
  d = only_dataset("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: chat_template\n    message_field_content: text\n"
                   "    message_property_mappings:\n      content: text\n");
  EXPECT_EQ(d.message_property_mappings["content"], "text");
  try {
    load_string("base_model: x\ndatasets:\n  - path: a.jsonl\n    type: chat_template\n    message_field_role: who\n"
                "    message_property_mappings:\n      role: from\n", "l.yml");
    FAIL() << "conflict accepted";
  } catch (const ConfigError& e) {
    std::string all = e.what();
    EXPECT_NE(all.find("datasets[0].message_field_role"), std::string::npos) << all;
    EXPECT_NE(all.find("conflicts with message_property_mappings.role"), std::string::npos) << all;
  }
}

}  // namespace axolotl::config
