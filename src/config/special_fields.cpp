// Fields whose YAML spelling is not a plain value: adapter type, optimizer names (Axolotl's
// bitsandbytes/paged/fused variants map to plain AdamW with a note), precision flags and dataset lists.
#include "special_fields.h"

#include <functional>

#include <regex>

namespace axolotl::config::detail {

namespace {

struct OptimizerName {
  const char* name;
  Optimizer kind;
  const char* note;  // non-empty: accepted, but we do something else than Python Axolotl
};

const OptimizerName kOptimizers[] = {
    {"adamw_torch", Optimizer::kAdamW, ""},
    {"adamw", Optimizer::kAdamW, ""},
    {"adamw_hf", Optimizer::kAdamW, ""},
    {"adamw_torch_fused", Optimizer::kAdamW, "the fused CUDA kernel is PyTorch-only; plain AdamW (same update)"},
    {"adamw_apex_fused", Optimizer::kAdamW, "apex is Python-only; plain AdamW (same update)"},
    {"adamw_bnb_8bit", Optimizer::kAdamW, "8-bit optimizer states are bitsandbytes-only; plain AdamW with fp32 "
                                          "states (same update, more memory)"},
    {"adamw_8bit", Optimizer::kAdamW, "8-bit optimizer states are bitsandbytes-only; plain AdamW with fp32 states"},
    {"paged_adamw_8bit", Optimizer::kAdamW, "paged 8-bit states are bitsandbytes-only; plain AdamW with fp32 states"},
    {"paged_adamw_32bit", Optimizer::kAdamW, "paged states are bitsandbytes-only; plain AdamW (same update)"},
    {"adamw_torch_8bit", Optimizer::kAdamW, "torchao 8-bit optimizer states are Python-only; plain AdamW with fp32 "
                                            "states (same update, more memory)"},
    {"adamw_torch_4bit", Optimizer::kAdamW, "torchao 4-bit optimizer states are Python-only; plain AdamW with fp32 "
                                            "states (same update, more memory)"},
    {"ao_adamw_8bit", Optimizer::kAdamW, "torchao 8-bit states are Python-only; plain AdamW with fp32 states"},
    {"ao_adamw_4bit", Optimizer::kAdamW, "torchao 4-bit states are Python-only; plain AdamW with fp32 states"},
    {"ao_adamw_fp8", Optimizer::kAdamW, "torchao fp8 states are Python-only; plain AdamW with fp32 states"},
    {"adamw_torch_xla", Optimizer::kAdamW, "XLA is Python-only; plain AdamW (same update)"},
    {"adamw_torch_npu_fused", Optimizer::kAdamW, "the NPU kernel is Python-only; plain AdamW (same update)"},
    {"adamw_anyprecision", Optimizer::kAdamW, "torchdistx AnyPrecisionAdamW is Python-only; plain AdamW with fp32 "
                                              "states"},
    {"optimi_adamw", Optimizer::kAdamW, "optimi is Python-only; plain AdamW (same update)"},
    {"flash_adamw", Optimizer::kAdamW, "flashoptim is Python-only; plain AdamW (same update)"},
    {"sgd", Optimizer::kSgd, ""},
    {"muon", Optimizer::kMuon, ""},
    {"flash_sgd", Optimizer::kSgd, "flashoptim is Python-only; plain SGD (same update)"},
};

const Names<AdapterType> kAdapters = {{"none", AdapterType::kNone}, {"lora", AdapterType::kLora},
                                      {"qlora", AdapterType::kQlora}};
const Names<Precision> kPrecisions = {{"auto", Precision::kAuto},         {"float32", Precision::kFloat32},
                                      {"bfloat16", Precision::kBFloat16}, {"float16", Precision::kFloat16},
                                      {"fp32", Precision::kFloat32},      {"bf16", Precision::kBFloat16},
                                      {"fp16", Precision::kFloat16}};

template <class E>
std::vector<std::string> spellings(const Names<E>& names) {
  std::vector<std::string> out;
  for (const auto& p : names) out.push_back(p.first);
  return out;
}

Field make(std::string nested, std::vector<std::string> flat, std::string type, std::string help) {
  Field f;
  f.nested = std::move(nested);
  f.flat = std::move(flat);
  f.type = std::move(type);
  f.help = std::move(help);
  return f;
}

}  // namespace

Field datasets_field(std::string nested, std::vector<std::string> flat, bool test) {
  Field f = make(std::move(nested), std::move(flat), "list of datasets",
                 test ? "held-out evaluation datasets (same entries as datasets)"
                      : "training datasets (nested dialect also accepts one map under `dataset:`)");
  f.schema = dataset_list_schema(false);
  f.flat_schema = dataset_list_schema(true);
  auto ref = [test](auto& c) -> auto& { return test ? c.data.test_datasets : c.data.datasets; };
  f.set = [ref](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    read_datasets(n, ref(c), st, key);
  };
  f.get = [ref](const Config& c) {
    Json list = Json::array();
    for (const auto& d : ref(c)) {
      Json o = Json::object();
      for (const auto& df : dataset_fields()) {
        if (df.get && !df.nested.empty()) o[df.nested] = df.get(d);
      }
      list.push_back(std::move(o));
    }
    return list;
  };
  f.reset = [ref](Config& c) { ref(c).clear(); };
  return f;
}

Field adapter_type_field() {
  Field f = make("adapter.type", {"adapter"}, names_str(kAdapters), "none = full fine-tune; qlora needs load_in_4bit");
  f.schema = enum_schema(spellings(kAdapters));
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    std::string s;
    if (read_string(n, s)) {
      for (const auto& [name, v] : kAdapters) {
        if (name == s) {
          c.adapter.type = v;
          return;
        }
      }
    }
    st.error(st.at(n), key, "unknown adapter", describe(n), names_str(kAdapters),
             s == "dora" || s == "ia3" || s == "llama-adapter" ? "only LoRA and QLoRA are supported" : "");
  };
  f.get = [](const Config& c) { return Json(name_of(kAdapters, c.adapter.type)); };
  f.reset = [](Config& c) { c.adapter.type = AdapterType::kNone; };
  return f;
}

Field optimizer_field() {
  std::string names;
  for (const auto& o : kOptimizers) names += (names.empty() ? "" : " | ") + std::string(o.name);
  Field f = make("training.optimizer", {"optimizer"}, names, "Axolotl's optimizer names; 8-bit/paged/fused run as AdamW");
  std::vector<std::string> all;
  for (const auto& o : kOptimizers) all.push_back(o.name);
  f.schema = enum_schema(all);
  f.set = [names](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    std::string s;
    if (read_string(n, s)) {
      for (const auto& o : kOptimizers) {
        if (s == o.name) {
          c.training.optimizer = o.kind;
          c.training.optimizer_name = s;
          if (*o.note) st.note(st.at(n), key, std::string("'") + s + "': " + o.note);
          return;
        }
      }
    }
    st.error(st.at(n), key, "unsupported optimizer", describe(n), names,
             "other optimizers (adafactor, lion, galore, dion, ...) change the result and are not implemented");
  };
  f.get = [](const Config& c) { return Json(c.training.optimizer_name); };
  f.reset = [](Config& c) {
    c.training.optimizer = Optimizer::kAdamW;
    c.training.optimizer_name = "adamw_torch";
  };
  return f;
}

Field precision_field() {
  Field f = make("training.precision", {}, names_str(kPrecisions),
                 "compute precision; auto = bfloat16 when the hardware has it, else float32 "
                 "(flat: bf16 / fp16)");
  f.schema = enum_schema(spellings(kPrecisions));
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    std::string s;
    if (read_string(n, s)) {
      for (const auto& [name, v] : kPrecisions) {
        if (name == s) {
          c.training.precision = v;
          return;
        }
      }
    }
    st.error(st.at(n), key, "unknown precision", describe(n), names_str(kPrecisions));
  };
  f.get = [](const Config& c) { return Json(name_of(kPrecisions, c.training.precision)); };
  f.reset = [](Config& c) { c.training.precision = Precision::kAuto; };
  return f;
}

Field bf16_alias() {
  Field f = make("", {"bf16"}, "true | false | auto", "bfloat16 mixed precision (sets training.precision)");
  f.schema = bool_schema();
  f.schema["anyOf"].push_back(Json{{"const", "auto"}});
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    bool b = false;
    if (n.IsScalar() && n.Scalar() == "auto") {
      if (c.training.precision != Precision::kFloat16) c.training.precision = Precision::kAuto;
    } else if (read_bool(n, b)) {
      if (b && c.training.precision == Precision::kFloat16 && st.was_set("fp16")) {
        st.error(st.at(n), key, "bf16 and fp16 are both true", "bf16: true", "at most one of them");
      } else if (b) {
        c.training.precision = Precision::kBFloat16;
      } else if (c.training.precision != Precision::kFloat16) {
        c.training.precision = Precision::kFloat32;
      }
    } else {
      st.error(st.at(n), key, "wrong type", describe(n), "true, false or auto");
    }
  };
  return f;
}

Field fp16_alias() {
  Field f = make("", {"fp16"}, "bool", "float16 mixed precision (sets training.precision)");
  f.schema = bool_schema();
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    bool b = false;
    if (!read_bool(n, b)) {
      st.error(st.at(n), key, "wrong type", describe(n), "true or false");
    } else if (b && c.training.precision == Precision::kBFloat16 && st.was_set("bf16")) {
      st.error(st.at(n), key, "bf16 and fp16 are both true", "fp16: true", "at most one of them");
    } else if (b) {
      c.training.precision = Precision::kFloat16;
    } else if (c.training.precision == Precision::kFloat16) {
      c.training.precision = Precision::kFloat32;
    }
  };
  return f;
}

Field dtype_alias(const char* key_name, DType d) {
  Field f = make("", {key_name}, "bool", std::string("load weights in ") + key_name + " (sets model.dtype)");
  f.schema = bool_schema();
  f.set = [d](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    bool b = false;
    if (!read_bool(n, b)) {
      st.error(st.at(n), key, "wrong type", describe(n), "true or false");
    } else if (b) {
      c.model.dtype = d;
    }
  };
  return f;
}

Field gradient_checkpointing_field() {
  Field f = make("training.gradient_checkpointing", {"gradient_checkpointing"}, "bool | offload",
                 "recompute activations in backward to save memory (offload: the same, with a note)");
  f.schema = bool_schema();
  f.schema["anyOf"].push_back(Json{{"enum", Json::array({"offload", "offload_disk"})}});
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    bool b = false;
    if (read_bool(n, b)) {
      c.training.gradient_checkpointing = b;
    } else if (n.IsScalar() && (n.Scalar() == "offload" || n.Scalar() == "offload_disk")) {
      c.training.gradient_checkpointing = true;
      st.note(st.at(n), key, "'" + n.Scalar() + "': activations are recomputed in backward (checkpointing); "
              "they are not offloaded to CPU or disk");
    } else {
      st.error(st.at(n), key, "wrong type", describe(n), "true, false or offload");
    }
  };
  f.get = [](const Config& c) { return Json(c.training.gradient_checkpointing); };
  f.reset = [](Config& c) { c.training.gradient_checkpointing = false; };
  return f;
}

Field peft_field() {
  Field f = make("adapter.peft", {"peft"}, "map", "PEFT initialisation options: {loftq_config: {loftq_bits: 4 | 8}}");
  f.schema = Json{{"type", "object"}};
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    if (!n.IsMap()) {
      st.error(st.at(n), key, "wrong type", describe(n), "a map such as {loftq_config: {loftq_bits: 4}}");
      return;
    }
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (k != "loftq_config") {
        st.error(st.at(kv.first), key + "." + k, "unknown key in peft", "'" + k + "'", "loftq_config");
        continue;
      }
      if (v.IsNull()) continue;
      if (!v.IsMap()) {
        st.error(st.at(v), key + ".loftq_config", "wrong type", describe(v), "a map such as {loftq_bits: 4}");
        continue;
      }
      for (const auto& q : v) {
        const std::string qk = q.first.Scalar();
        if (qk != "loftq_bits") {
          st.error(st.at(q.first), key + ".loftq_config." + qk, "unknown key in loftq_config", "'" + qk + "'",
                   "loftq_bits (Axolotl's LoftQConfig; PEFT's loftq_iter stays 1)");
        } else if (!q.second.IsNull()) {
          int bits = 0;
          const std::string at = key + ".loftq_config.loftq_bits";
          if (!read_value(q.second, bits, st, at, between(4, 8))) continue;  // reported
          if (bits != 4 && bits != 8) {
            st.error(st.at(q.second), at, "LoftQ quantizes to NF4 or int8", std::to_string(bits), "4 or 8");
          } else {
            c.adapter.loftq_bits = bits;
          }
        }
      }
    }
  };
  f.get = [](const Config& c) {
    return c.adapter.loftq_bits > 0 ? Json{{"loftq_config", {{"loftq_bits", c.adapter.loftq_bits}}}} : Json(nullptr);
  };
  f.reset = [](Config& c) { c.adapter.loftq_bits = 0; };
  return f;
}

Field added_tokens_field() {
  Field f = make("tokenizer.tokens", {"tokens"}, "list of strings | map",
                 "tokens to add to the vocabulary (the archived map form sets special tokens)");
  f.schema = Json{{"anyOf", Json::array({string_list_schema(), string_map_schema()})}};
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    std::map<std::string, std::string> special;
    if (n.IsMap() && read_string_map(n, special)) {
      // Axolotl's archived examples write `tokens: {bos_token: ..., pad_token: ...}`: special tokens.
      for (const auto& [k, v] : special) c.tokenizer.special_tokens[k] = v;
      st.note(st.at(n), key, "a map of special tokens (the archived form): read as special_tokens");
    } else if (!read_string_list(n, c.tokenizer.added_tokens)) {
      st.error(st.at(n), key, "wrong type", describe(n), "a list of tokens (or a map of special tokens)");
    }
  };
  f.get = [](const Config& c) { return Json(c.tokenizer.added_tokens); };
  f.reset = [](Config& c) { c.tokenizer.added_tokens.clear(); };
  return f;
}

namespace {

// A YAML value as PyYAML reads it (YAML 1.1): quoted scalars are strings; plain ones are null, bool,
// int, float or string; sequences and maps keep their order.
Json yaml_value(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& item : n) a.push_back(yaml_value(item));
    return a;
  }
  if (n.IsMap()) {
    Json o = Json::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = yaml_value(kv.second);
    return o;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  bool b = false;
  if (read_bool(n, b)) return b;
  if (!s.empty() && s.find_first_not_of("+-0123456789_") == std::string::npos) {
    long long i = 0;
    if (read_int(n, i)) return i;
  }
  double d = 0;
  if (read_double(n, d)) return d;
  return s;
}

}  // namespace

// A map of any values kept as its JSON text in the member `ref` names ("" = none); `after` sees the map read.
template <class Ref>
Field json_map_field(std::string nested, std::vector<std::string> flat, std::string help, Ref ref,
                     std::string expected, std::function<void(const Json&, State&, const YAML::Node&,
                                                              const std::string&)> after = {}) {
  Field f = make(std::move(nested), std::move(flat), "map", std::move(help));
  f.set = [ref, expected, after](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    if (!n.IsMap()) {
      st.error(st.at(n), key, "wrong type", describe(n), expected);
      return;
    }
    const Json map = yaml_value(n);
    ref(c) = map.empty() ? "" : map.dump();
    if (after) after(map, st, n, key);
  };
  f.get = [ref](const Config& c) { return ref(c).empty() ? Json(nullptr) : Json::parse(ref(c)); };
  f.reset = [ref](Config& c) { ref(c).clear(); };
  f.schema = Json{{"type", "object"}};  // any keys
  return f;
}

Field chat_template_kwargs_field() {
  return json_map_field("data.chat_template_kwargs", {"chat_template_kwargs"},
                        "extra variables for the chat template in training and inference, as apply_chat_template's "
                        "kwargs (e.g. {enable_thinking: false} for Qwen3)",
                        AXOLOTL_REF(data.chat_template_kwargs),
                        "a map of template variables (e.g. {enable_thinking: false})");
}

Field config_overrides_field() {
  return json_map_field(
      "model.config_overrides", {"model_config", "overrides_of_model_config"},
      "config.json keys to override before the model is built (Axolotl's overrides_of_model_config)",
      AXOLOTL_REF(model.config_overrides), "a map of config.json keys (e.g. {rope_theta: 1000000})",
      [](const Json& overrides, State& st, const YAML::Node& n, const std::string& key) {
        std::string names;
        for (const auto& [k, v] : overrides.items()) names += (names.empty() ? "" : ", ") + k;
        if (!names.empty()) {
          st.note(st.at(n), key, "config.json values replaced before the model is built: " + names + " (keys this "
                  "family does not read change nothing, as in transformers)");
        }
      });
}

Field target_modules_field() {
  Field f = make("adapter.target_modules", {"lora_target_modules"}, "list of strings | regex",
                 "linear layers to adapt: names or dotted suffixes (self_attn.q_proj), or one regex string "
                 "matched against whole module names (PEFT); default q_proj, v_proj");
  f.schema = string_list_schema();
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    // PEFT matches a string as one regex (re.fullmatch); a bare name stays a name.
    if (n.IsScalar() && n.Scalar().find_first_of(".*+?[](){}|^$\\") != std::string::npos) {
      try {
        std::regex check(n.Scalar());
      } catch (const std::regex_error& e) {
        st.error(st.at(n), key, "not a valid regex", describe(n), "a regular expression", e.what());
        return;
      }
      c.adapter.target_regex = n.Scalar();
      c.adapter.target_modules.clear();
    } else if (read_string_list(n, c.adapter.target_modules)) {
      c.adapter.target_regex.clear();
    } else {
      st.error(st.at(n), key, "wrong type", describe(n), "a list of module names or one regex string");
    }
  };
  f.get = [](const Config& c) {
    return c.adapter.target_regex.empty() ? Json(c.adapter.target_modules) : Json(c.adapter.target_regex);
  };
  f.reset = [](Config& c) {
    c.adapter.target_modules.clear();
    c.adapter.target_regex.clear();
  };
  return f;
}

}  // namespace axolotl::config::detail
