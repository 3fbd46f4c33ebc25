// The table of dataset-entry keys (`datasets:` items) in both dialects, and the reader of a dataset
// list: format/type names, Axolotl's user-defined type maps, sharegpt defaults, the nested `columns:`.
#include <algorithm>
#include <unordered_set>

#include "special_fields.h"

namespace axolotl::config::detail {

namespace {

using D = DatasetConfig;

// Canonical type names; the first spelling per format is what `validate` prints.
const Names<DatasetFormat> kFormats = {
    {"alpaca", DatasetFormat::kAlpaca},           {"alpaca:chat", DatasetFormat::kAlpacaChat},
    {"alpaca:chatml", DatasetFormat::kAlpacaChatml}, {"alpaca:phi", DatasetFormat::kAlpacaPhi},
    {"chat_template", DatasetFormat::kChatTemplate},
    {"sharegpt", DatasetFormat::kChatTemplate},   {"completion", DatasetFormat::kCompletion},
    {"input_output", DatasetFormat::kInputOutput}, {"custom", DatasetFormat::kCustom},
    {"pretokenized", DatasetFormat::kPretokenized}};

// Python Axolotl's other prompt strategies (prompt_strategies/ modules and the legacy types of
// utils/data/wrappers.py), by the name before the first '.' or ':': refused by name, not "unknown".
const char* const kAxolotlOnly[] = {
    "alpaca_instruct", "alpaca_w_system", "bradley_terry", "concisechoice", "context_qa",   "creative_acr",
    "ebft",            "ebft_opencode",   "ebft_pretrain", "ebft_reasoning", "ebft_strided_chat",
    "ebft_strided_structured",            "ebft_chat_multiturn",             "explainchoice", "gpteacher",
    "llama2_chat",     "messages",        "metharme",      "oasst",         "orcamini",     "pygmalion",
    "reflection",      "summarizetldr"};

// Preference strategies (rl) by name; the exact variant is checked when the data is read.
bool preference_type(const std::string& s) {
  return s == "chatml" || s == "llama3" || s.rfind("chatml.", 0) == 0 || s.rfind("llama3.", 0) == 0 ||
         s == "chat_template.default" || s == "chat_template.argilla" || s == "chat_template.argilla_chat" ||
         s == "user_defined.default" || s == "zephyr.nectar" || s == "passthrough" || s == "passthrough.default";
}

// The `type:` / `format:` values format_field() takes, as a schema; `flat` adds the user-defined map.
Json format_schema(bool flat) {
  std::vector<std::string> names;
  for (const auto& [name, v] : kFormats) {
    if (!flat || name != "custom") names.push_back(name);
  }
  for (const char* extra : {"alpaca_chat", "jeopardy", "chat_template.default", "chat_template.argilla",
                            "chat_template.argilla_chat", "zephyr.nectar", "passthrough", "passthrough.default",
                            "bradley_terry.chat_template", "stepwise_supervised"}) {
    names.push_back(extra);
  }
  std::string refused;
  for (const char* n : kAxolotlOnly) refused += (refused.empty() ? "" : "|") + std::string(n);
  Json any = Json::array({enum_schema(names),
                          Json{{"type", "string"}, {"pattern", "^(chatml|llama3)(\\..+)?$"},
                               {"description", "a preference (rl) type: chatml.*, llama3.*"}},
                          Json{{"type", "string"}, {"pattern", "^(" + refused + ")([.:].*)?$"},
                               {"description", "Axolotl's prompt strategy, refused by name (not implemented here)"}}});
  if (flat) any.push_back(Json{{"$ref", "#/definitions/type_map"}});
  return Json{{"anyOf", any}};
}

void set_format(D& d, const std::string& name, DatasetFormat f) {
  d.format = f;
  d.type_name = name;
}

// Keys of a `type:` map that only rl's user_defined.default reads (prompt_strategies/{dpo,kto}/user_defined.py).
const char* const kUserDefinedKeys[] = {"field_prompt",  "field_chosen",   "field_rejected",  "field_completion",
                                        "field_label",   "prompt_format",  "chosen_format",   "rejected_format",
                                        "completion_format"};

// `type:` as a map: Axolotl's user-defined prompt format (field_instruction, format, ...), or under rl
// user_defined.default (field_prompt, prompt_format, ...; derive_config decides by rl, which may come later).
void read_type_map(D& d, const YAML::Node& n, State& st, const std::string& key) {
  set_format(d, "custom", DatasetFormat::kCustom);
  d.type_map = true;
  static const char* kKeys[] = {"field_instruction", "field_input", "field_output", "field_system", "format",
                                "no_input_format",   "system_prompt", "system_format"};
  std::vector<std::string> known(std::begin(kKeys), std::end(kKeys));
  for (const char* k : kUserDefinedKeys) known.push_back(k);
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const DatasetField* hit = nullptr;
    for (const auto& f : dataset_fields()) {
      if (!f.flat.empty() && f.flat[0] == k && std::find(known.begin(), known.end(), k) != known.end()) hit = &f;
    }
    const bool user_key = std::find(std::begin(kUserDefinedKeys), std::end(kUserDefinedKeys), k) != std::end(kUserDefinedKeys);
    if (!hit && !user_key) {
      std::string guess = did_you_mean(k, known);
      st.error(st.at(kv.first), key + "." + k, "unknown key in a user-defined dataset type", "'" + k + "'",
               "one of field_instruction, field_input, field_output, field_system, format, no_input_format, "
               "system_prompt, system_format (rl: field_prompt, field_chosen, field_rejected, field_completion, "
               "field_label, prompt_format, chosen_format, rejected_format, completion_format)",
               guess.empty() ? "" : "did you mean '" + guess + "'?");
      continue;
    }
    if (kv.second.IsNull()) continue;
    std::string value;
    if (!read_string(kv.second, value)) {
      st.error(st.at(kv.second), key + "." + k, "wrong type", describe(kv.second), "a string");
      continue;
    }
    if (user_key) d.user_defined[k] = value;  // field_system: d.field_system, read by both
    if (hit) hit->set(d, kv.second, st, key + "." + k);
  }
}

DatasetField format_field() {
  DatasetField f;
  f.nested = "format";
  f.flat = {"type"};
  f.type = names_str(kFormats) + " (flat: or a map)";
  f.help = "row format; flat `type:` omitted = pre-tokenized rows, a map = user-defined format";
  f.schema = format_schema(false);
  f.flat_schema = format_schema(true);
  f.set = [](D& d, const YAML::Node& n, State& st, const std::string& key) {
    if (n.IsMap() && st.flat) return read_type_map(d, n, st, key);
    std::string s;
    if (read_string(n, s)) {
      if (s == "alpaca_chat") s = "alpaca:chat";
      if (s == "jeopardy") {  // Axolotl's JeopardyPrompter: alpaca over question / category / "what is " + answer
        set_format(d, s, DatasetFormat::kAlpaca);
        d.field_instruction = "question";
        d.field_input = "category";
        d.field_output = "answer";
        return;
      }
      // Preference strategies (rl): the exact variant is checked when the data is read.
      if (preference_type(s)) return set_format(d, s, DatasetFormat::kPreference);
      // Reward pairs (reward_model); Axolotl's other bradley_terry.* modules load no strategy.
      if (s == "bradley_terry.chat_template") return set_format(d, s, DatasetFormat::kBradleyTerry);
      // Step-labelled reasoning traces (process_reward_model).
      if (s == "stepwise_supervised") return set_format(d, s, DatasetFormat::kStepwise);
      for (const auto& [name, v] : kFormats) {
        if (name == s && (st.flat ? name != "custom" : true)) return set_format(d, name, v);
      }
    }
    const std::string head = s.substr(0, s.find_first_of(".:"));
    if (n.IsScalar() && std::find(std::begin(kAxolotlOnly), std::end(kAxolotlOnly), head) != std::end(kAxolotlOnly)) {
      return st.error(st.at(n), key, "Axolotl's dataset type '" + head + "' is not supported here", describe(n),
                      names_str(kFormats) + ", jeopardy, a preference type (chatml.*, llama3.*, chat_template.*, "
                      "zephyr.nectar, passthrough), bradley_terry.chat_template (reward_model) or stepwise_supervised "
                      "(process_reward_model)",
                      "convert the rows to one of these types, or write a user-defined type map");
    }
    std::vector<std::string> all;
    for (const auto& p : kFormats) all.push_back(p.first);
    std::string guess = n.IsScalar() ? did_you_mean(s, all) : "";
    st.error(st.at(n), key, "unknown dataset format", describe(n),
             names_str(kFormats) + (st.flat ? ", or a map of field_instruction/format/..." : ""),
             guess.empty() ? "other Axolotl prompt strategies are not implemented" : "did you mean '" + guess + "'?");
  };
  f.get = [](const D& d) { return Json(d.type_name.empty() ? name_of(kFormats, d.format) : d.type_name); };
  f.reset = [](D& d) { set_format(d, "pretokenized", DatasetFormat::kPretokenized); };
  return f;
}

// Nested dialect: `columns: {instruction: q, input: ctx, output: a, system: sys}`.
DatasetField columns_field() {
  DatasetField f;
  f.nested = "columns";
  f.type = "map";
  f.help = "custom format: which row field holds instruction / input / output / system";
  Json roles = Json::object();
  for (const char* r : {"instruction", "input", "output", "system"}) roles[r] = nullable(scalar_schema());
  f.schema = Json{{"type", "object"}, {"properties", roles}, {"additionalProperties", false}};
  f.set = [](D& d, const YAML::Node& n, State& st, const std::string& key) {
    std::map<std::string, std::string> m;
    if (!read_string_map(n, m)) return st.error(st.at(n), key, "wrong type", describe(n), "a map of strings");
    for (const auto& [k, v] : m) {
      if (k == "instruction") d.field_instruction = v;
      else if (k == "input") d.field_input = v;
      else if (k == "output") d.field_output = v;
      else if (k == "system") d.field_system = v;
      else st.error(st.at(n), key + "." + k, "unknown column role", "'" + k + "'", "instruction, input, output or system");
    }
  };
  f.get = [](const D& d) {
    Json o = Json::object();
    o["instruction"] = d.field_instruction;
    o["input"] = d.field_input;
    o["output"] = d.field_output;
    o["system"] = d.field_system;
    return o;
  };
  f.reset = [](D& d) {
    D def;
    d.field_instruction = def.field_instruction;
    d.field_input = def.field_input;
    d.field_output = def.field_output;
    d.field_system = def.field_system;
  };
  return f;
}

DatasetField roles_field() {
  DatasetField f;
  f.nested = "roles";
  f.flat = {"roles"};
  f.type = "map of lists";
  f.help = "chat_template: our role -> the spellings used in the data";
  f.schema = Json{{"type", "object"}, {"additionalProperties", string_list_schema()}};
  f.set = [](D& d, const YAML::Node& n, State& st, const std::string& key) {
    if (!n.IsMap()) return st.error(st.at(n), key, "wrong type", describe(n), "a map of role -> list of names");
    std::map<std::string, std::vector<std::string>> m;
    for (const auto& kv : n) {
      std::vector<std::string> v;
      if (!kv.first.IsScalar() || !read_string_list(kv.second, v)) {
        st.error(st.at(kv.second), key, "wrong type", describe(kv.second), "a list of role names");
        return;
      }
      m[kv.first.Scalar()] = v;
    }
    d.roles = std::move(m);
  };
  f.get = [](const D& d) { return Json(d.roles); };
  f.reset = [](D& d) { d.roles.clear(); };
  return f;
}

// train_on_eos / train_on_eot: all | turn | last | none (Axolotl schemas/datasets.py); a bool is
// read as turn/none; null is unset (default turn), as Axolotl's exclude_none dump drops it, so
// Axolotl's legacy masking (roles_to_train and train_on_eos both falsy) is never reached from YAML.
DatasetField eos_mode_field(const char* name) {
  DatasetField f;
  bool eos = std::string(name) == "train_on_eos";
  f.nested = name;
  f.flat = {name};
  f.type = "all | turn | last | none";
  f.schema = bool_schema();
  f.schema["anyOf"].insert(f.schema["anyOf"].begin(), enum_schema({"all", "turn", "last", "none"}));
  f.help = eos ? "chat_template: which EOS tokens get a loss (default turn)"
               : "chat_template: which end-of-turn tokens (eot_tokens) get a loss (default: as train_on_eos)";
  f.set = [eos](D& d, const YAML::Node& n, State& st, const std::string& key) {
    std::string s;
    bool b = false;
    std::string& mode = eos ? d.train_on_eos : d.train_on_eot;
    if (n.IsNull()) {
      mode.clear();
      if (eos) d.train_on_eos_null = true;
      return;
    }
    if (read_string(n, s) && (s == "all" || s == "turn" || s == "last" || s == "none")) mode = s;
    else if (read_bool(n, b)) mode = b ? "turn" : "none";
    else return st.error(st.at(n), key, "unsupported value", describe(n), "all, turn, last or none");
    if (eos) d.train_on_eos_turn = mode == "turn";
  };
  f.get = [eos](const D& d) {
    const std::string& mode = eos ? d.train_on_eos : d.train_on_eot;
    return mode.empty() ? Json(nullptr) : Json(mode);
  };
  f.reset = [eos](D& d) {
    if (eos) {
      d.train_on_eos.clear();
      d.train_on_eos_turn.reset();
      d.train_on_eos_null = false;
    } else {
      d.train_on_eot.clear();
    }
  };
  return f;
}

std::vector<DatasetField> build() {
  return {
      plain<D>("path", {"path"}, AXOLOTL_REF(path), "file, folder or Hub dataset repo id (required)"),
      format_field(),
      plain<D>("ds_type", {"ds_type"}, AXOLOTL_REF(ds_type), "json | jsonl | parquet | ...; empty = from the extension"),
      plain<D>("data_files", {"data_files"}, AXOLOTL_REF(data_files), "files inside a folder or repo"),
      plain<D>("split", {"split"}, AXOLOTL_REF(split), "split to read"),
      plain<D>("field", {"field"}, AXOLOTL_REF(field), "JSON key holding the rows, or completion's text field"),
      plain<D>("name", {"name"}, AXOLOTL_REF(name), "dataset configuration name (Hub)"),
      plain<D>("revision", {"revision"}, AXOLOTL_REF(revision), "Hub revision"),
      plain<D>("field_messages", {"field_messages"}, AXOLOTL_REF(field_messages), "chat_template: row key of the turns"),
      plain<D>("message_property_mappings", {"message_property_mappings"}, AXOLOTL_REF(message_property_mappings),
               "chat_template: role/content -> keys in each turn"),
      roles_field(),
      plain<D>("roles_to_train", {"roles_to_train"}, AXOLOTL_REF(roles_to_train),
               "chat_template: roles whose tokens get a loss; default assistant ([] trains none)"),
      plain<D>("chat_template", {"chat_template"}, AXOLOTL_REF(chat_template), "per-dataset chat template override"),
      plain<D>("chat_template_jinja", {"chat_template_jinja"}, AXOLOTL_REF(chat_template_jinja),
               "per-dataset chat_template: jinja: inline Jinja text or a file path (alone, implies jinja)"),
      eos_mode_field("train_on_eos"),
      eos_mode_field("train_on_eot"),
      plain<D>("message_field_training", {"message_field_training"}, AXOLOTL_REF(message_field_training),
               "chat_template: per-turn key holding whether to train the turn"),
      plain<D>("message_field_training_detail", {"message_field_training_detail"},
               AXOLOTL_REF(message_field_training_detail), "chat_template: per-turn key holding trained char spans"),
      plain<D>("drop_system_message", {"drop_system_message"}, AXOLOTL_REF(drop_system_message),
               "chat_template: drop a leading system turn"),
      plain<D>("field_tools", {"field_tools"}, AXOLOTL_REF(field_tools),
               "chat_template: accepted and ignored, as in Axolotl (tool schemas come from the \"tools\" column)"),
      plain<D>("field_thinking", {"field_thinking"}, AXOLOTL_REF(field_thinking),
               "chat_template: per-turn key of the reasoning text"),
      plain<D>("template_thinking_key", {"template_thinking_key"}, AXOLOTL_REF(template_thinking_key),
               "chat_template: message key under which the template reads the reasoning text"),
      plain<D>("split_thinking", {"split_thinking"}, AXOLOTL_REF(split_thinking),
               "chat_template: split <think>...</think> out of assistant contents into the reasoning field"),
      columns_field(),
      plain<D>("", {"field_instruction"}, AXOLOTL_REF(field_instruction), "user-defined type: instruction field"),
      plain<D>("", {"field_input"}, AXOLOTL_REF(field_input), "user-defined type: input field"),
      plain<D>("", {"field_output"}, AXOLOTL_REF(field_output), "user-defined type: output field"),
      plain<D>("", {"field_system"}, AXOLOTL_REF(field_system), "user-defined type: system field"),
      plain<D>("prompt_format", {"format"}, AXOLOTL_REF(prompt_format), "custom: prompt with {instruction} and {input}"),
      plain<D>("no_input_format", {"no_input_format"}, AXOLOTL_REF(no_input_format), "custom: prompt when input is empty"),
      plain<D>("system_prompt", {"system_prompt"}, AXOLOTL_REF(system_prompt), "custom: system text"),
      plain<D>("system_format", {"system_format"}, AXOLOTL_REF(system_format), "custom: how {system} is rendered"),
      plain<D>("field_chosen", {"field_chosen"}, AXOLOTL_REF(field_chosen), "rl chat_template.default: chosen reply key"),
      plain<D>("field_rejected", {"field_rejected"}, AXOLOTL_REF(field_rejected),
               "rl chat_template.default: rejected reply key"),
      plain<D>("user_defined", {}, AXOLOTL_REF(user_defined),
               "rl user_defined.default (flat: the `type:` map): field_prompt, prompt_format, completion_format, ..."),
      plain<D>("step_separator", {"step_separator"}, AXOLOTL_REF(step_separator),
               "stepwise_supervised: text appended to each step (default a newline)"),
      plain<D>("max_completion_length", {"max_completion_length"}, AXOLOTL_REF(max_completion_length),
               "stepwise_supervised: cut the joined steps at this many tokens", at_least(1)),
      plain<D>("train_on_last_step_only", {"train_on_last_step_only"}, AXOLOTL_REF(train_on_last_step_only),
               "stepwise_supervised: train only the last step's label"),
  };
}

}  // namespace

// Keys valid only inside a user-defined `type:` map in the flat dialect.
bool type_map_only(const std::string& k) {
  return k == "field_instruction" || k == "field_input" || k == "field_output" || k == "field_system" ||
         k == "format" || k == "no_input_format" || k == "system_prompt" || k == "system_format";
}

const std::vector<ExtraEntryKey>& extra_entry_keys() {
  static const std::vector<ExtraEntryKey> keys = {
      {"message_field_role", "message_property_mappings.role", ""},
      {"message_field_content", "message_property_mappings.content", ""},
  };
  return keys;
}

Json dataset_list_schema(bool flat) {
  Json entry = Json{{"$ref", flat ? "#/definitions/flat_dataset" : "#/definitions/nested_dataset"}};
  return Json{{"anyOf", Json::array({Json{{"type", "array"}, {"items", entry}}, entry})}};
}

namespace {

const ExtraEntryKey* extra_entry_key(const std::string& k) {
  for (const auto& e : extra_entry_keys()) {
    if (k == e.name) return &e;
  }
  return nullptr;
}

// Older Axolotl spellings inside dataset entries (handle_legacy_message_fields_logic): read as
// message_property_mappings.role/content with a note; a different value given there too is an error.
void read_legacy(D& d, const std::string& k, const YAML::Node& v, State& st, const std::string& key) {
  std::string s;
  if (!read_string(v, s)) return st.error(st.at(v), key, "wrong type", describe(v), "a string");
  const std::string prop = k == "message_field_role" ? "role" : "content";
  auto it = d.message_property_mappings.find(prop);
  if (it != d.message_property_mappings.end() && it->second != s) {
    return st.error(st.at(v), key, "conflicts with message_property_mappings." + prop, "'" + s + "'",
                    "'" + it->second + "'", "keep only message_property_mappings");
  }
  d.message_property_mappings[prop] = s;
  st.note(st.at(v), key, "deprecated in Axolotl; read as message_property_mappings." + prop);
}

void read_entry(D& d, const YAML::Node& n, State& st, const std::string& key) {
  if (!n.IsMap()) return st.error(st.at(n), key, "a dataset entry must be a map", describe(n), "path: ..., type: ...");
  set_format(d, "pretokenized", DatasetFormat::kPretokenized);
  std::vector<std::string> known;
  for (const auto& f : dataset_fields()) {
    const std::string& name = st.flat ? (f.flat.empty() || type_map_only(f.flat[0]) ? "" : f.flat[0]) : f.nested;
    if (!name.empty()) known.push_back(name);
  }
  bool has_path = false;
  std::unordered_set<std::string> given;
  bool roles_given = false;
  std::vector<std::pair<std::string, YAML::Node>> legacy;
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const std::string full = key + "." + k;
    const ExtraEntryKey* extra = extra_entry_key(k);
    if (extra && *extra->deprecated_for) {
      legacy.emplace_back(k, kv.second);  // after message_property_mappings, wherever that is
      continue;
    }
    const DatasetField* hit = nullptr;
    for (const auto& f : dataset_fields()) {
      if (st.flat ? (!f.flat.empty() && f.flat[0] == k && !type_map_only(k)) : f.nested == k) hit = &f;
    }
    if (!hit && extra && *extra->refused) {
      // a key Axolotl has that this project refuses by name, not "unknown"
      if (!kv.second.IsNull()) {
        st.error(st.at(kv.first), full, extra->refused, "'" + k + "'", {},
                 "train a supervised type such as chat_template or alpaca");
      }
      continue;
    }
    if (!hit) {
      std::string guess = did_you_mean(k, known);
      std::string hint = guess.empty() ? "" : "did you mean '" + guess + "'?";
      if (!st.flat && k == "type") hint = "the nested dialect spells it 'format'";
      if (st.flat && k == "format" ) hint = "the flat dialect spells it 'type'";
      st.error(st.at(kv.first), full, "unknown dataset key", "'" + k + "'", {}, hint);
      continue;
    }
    given.insert(hit->nested.empty() ? hit->flat[0] : hit->nested);
    if (kv.second.IsNull()) continue;  // null is unset, as Axolotl's model_dump(exclude_none=True) drops it
    if (hit->nested == "roles_to_train") roles_given = true;
    hit->set(d, kv.second, st, full);
    if (hit->nested == "path") has_path = !d.path.empty();
  }
  for (const auto& [k, v] : legacy) read_legacy(d, k, v, st, key + "." + k);
  if (!has_path) st.error(st.at(n), key + ".path", "dataset entry without a path", {}, "path: FILE, FOLDER or repo id");
  // StrategyLoader: ds_cfg.get("roles_to_train", ["assistant"]); an explicit [] trains no role (only
  // message_field_training flags, train_on_inputs or train_on_eos/eot: all give labels then).
  if (d.format == DatasetFormat::kChatTemplate && !roles_given) d.roles_to_train = {"assistant"};
  if (d.type_name == "sharegpt") {
    // Axolotl's deprecated sharegpt type = chat_template over ShareGPT's field names.
    if (!given.count("field_messages")) d.field_messages = "conversations";
    if (!given.count("message_property_mappings")) {  // legacy message_field_role/content kept
      d.message_property_mappings.emplace("role", "from");
      d.message_property_mappings.emplace("content", "value");
    }
    if (!given.count("roles")) d.roles = {{"user", {"human", "user"}}, {"assistant", {"gpt", "assistant"}},
                                          {"system", {"system"}}};
  }
}

}  // namespace

const std::vector<DatasetField>& dataset_fields() {
  static const std::vector<DatasetField> table = build();
  return table;
}

void read_datasets(const YAML::Node& n, std::vector<DatasetConfig>& out, State& st, const std::string& key) {
  std::vector<DatasetConfig> list;
  if (n.IsMap()) {
    list.emplace_back();
    read_entry(list.back(), n, st, key);
  } else if (n.IsSequence()) {
    size_t i = 0;
    for (const auto& item : n) {
      list.emplace_back();
      read_entry(list.back(), item, st, key + "[" + std::to_string(i++) + "]");
    }
  } else {
    return st.error(st.at(n), key, "wrong type", describe(n), "a list of dataset entries");
  }
  out = std::move(list);
}

}  // namespace axolotl::config::detail
