// Internal to config/: fields whose spelling carries side effects or alternatives — the adapter
// type, the optimizer name, precision (bf16: auto, fp16, bfloat16: true, ...) and dataset lists.
#pragma once

#include "field.h"

namespace axolotl::config::detail {

Field datasets_field(std::string nested, std::vector<std::string> flat, bool test);
Field adapter_type_field();
Field optimizer_field();
Field precision_field();
Field bf16_alias();                          // flat `bf16: true | false | auto`
Field fp16_alias();                          // flat `fp16: true | false`
Field dtype_alias(const char* key, DType d);  // flat `bfloat16|float16|float32: true` (weight dtype)
Field gradient_checkpointing_field();        // true | false | offload (checkpointing, with a note)
Field target_modules_field();                // lora_target_modules: names, dotted suffixes or one regex
Field added_tokens_field();                  // `tokens:` list, or the archived map of special tokens
Field peft_field();                          // `peft: {loftq_config: {loftq_bits: 4}}` (LoftQ)
Field config_overrides_field();              // `model_config:` / overrides_of_model_config: config.json keys
Field chat_template_kwargs_field();          // a map of any values, kept as JSON text in key order

// Reads one dataset entry (a map) or a list of them; reports problems with their locations.
void read_datasets(const YAML::Node& n, std::vector<DatasetConfig>& out, State& st, const std::string& key);

// For the editor schema (schema.cpp): the value of `datasets:` in one dialect (a $ref to the entry
// definition that schema.cpp writes), the dataset-entry keys read outside dataset_fields() (Axolotl's
// older spellings and refused keys), and which table keys belong inside a flat user-defined `type:` map.
Json dataset_list_schema(bool flat);
struct ExtraEntryKey {
  const char* name;
  const char* deprecated_for;  // non-empty: read as this key, with a note
  const char* refused;         // non-empty: an error when set, saying this
};
const std::vector<ExtraEntryKey>& extra_entry_keys();
bool type_map_only(const std::string& flat_key);

}  // namespace axolotl::config::detail
