// config.json -> LlamaConfig (FORMATS.md §2.1 defaults, §2.4 rope scaling types).
#include "axolotl/model/llama_config.h"
#include "axolotl/model/hf_versions.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/path_hint.h"
#include "config_reader.h"

namespace axolotl::model {
namespace {

using nlohmann::json;
using Reader = detail::ConfigReader;

// Family traits and trait defaults (HF configuration_*.py, FORMATS2.md §5); the checkpoint overrides them.
void read_family(const FamilyTraits& f, LlamaConfig& c, bool explicit_head_dim) {
  c.model_type = f.model_type;
  c.hidden_act = f.hidden_act;
  c.qkv_bias = f.qkv_bias;
  c.qk_norm = f.qk_norm;
  c.norm_unit_offset = f.norm_unit_offset;
  c.embed_scale = f.embed_scale;
  c.sandwich_norms = f.sandwich_norms;
  c.fused_qkv = f.fused_qkv;
  c.fused_gate_up = f.fused_gate_up;
  c.tie_word_embeddings = f.tie_word_embeddings;
  const std::string mt = f.model_type;
  if (mt == "qwen2" || mt == "qwen3") {
    c.rms_norm_eps = 1e-6;
    if (mt == "qwen3" && !explicit_head_dim) c.head_dim = 128;
  } else if (mt == "gemma2" || mt == "gemma3_text") {
    c.rms_norm_eps = 1e-6;
    if (!explicit_head_dim) c.head_dim = 256;
    c.query_pre_attn_scalar = 256.0;
    c.sliding_window = 4096;
    if (mt == "gemma2") {
      c.attn_logit_softcapping = 50.0;
      c.final_logit_softcapping = 30.0;
    } else {
      c.rope_theta = 1e6;
      c.rope_local_theta = 1e4;
    }
  } else if (mt == "phi3") {
    c.rms_norm_eps = 1e-5;
  }
}

// Reads an optional number key that may be null (null -> nullopt).
void optional_number(Reader& r, const json& j, const char* key, std::optional<double>* out) {
  if (!j.contains(key)) return;
  if (j.at(key).is_null()) {
    out->reset();
    return;
  }
  double v = 0;
  r.number(key, &v);
  *out = v;
}

// Which layers use the sliding window: layer_types when given, else each family's rule.
void read_layer_pattern(Reader& r, const json& j, LlamaConfig& c) {
  const int64_t n = c.num_hidden_layers;
  c.sliding_layers.clear();
  if (j.contains("layer_types") && !j.at("layer_types").is_null()) {
    const json& t = j.at("layer_types");
    if (!t.is_array() || static_cast<int64_t>(t.size()) != n) {
      return r.problem("layer_types", "must list one type per layer", t.dump().substr(0, 120),
                       std::to_string(n) + " of \"sliding_attention\" / \"full_attention\"");
    }
    for (const auto& v : t) {
      const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      if (s != "sliding_attention" && s != "full_attention") {
        return r.problem("layer_types", "unknown layer type", s, "sliding_attention or full_attention");
      }
      c.sliding_layers.push_back(s == "sliding_attention");
    }
    return;
  }
  const std::string& mt = c.model_type;
  if (mt == "qwen2" || mt == "qwen3") {  // sliding from max_window_layers on (when use_sliding_window)
    const int64_t first = c.max_window_layers.value_or(28);
    for (int64_t i = 0; i < n; ++i) c.sliding_layers.push_back(i >= first);
  } else if (mt == "gemma2") {  // even layers slide
    for (int64_t i = 0; i < n; ++i) c.sliding_layers.push_back(i % 2 == 0);
  } else if (mt == "gemma3_text") {  // every sliding_window_pattern-th layer is global
    int64_t pattern = 6;
    r.integer("sliding_window_pattern", &pattern);
    if (pattern <= 0) pattern = 6;
    for (int64_t i = 0; i < n; ++i) c.sliding_layers.push_back((i + 1) % pattern != 0);
  }
}

// Multimodal wrappers whose text tower the decoder serves: architecture -> the tower's causal LM.
const std::pair<const char*, const char*> kTextTowers[] = {
    {"Gemma3ForConditionalGeneration", "Gemma3ForCausalLM"},
};

const char* text_tower_of(const json& j) {
  if (!j.contains("architectures") || !j.at("architectures").is_array() || j.at("architectures").empty()) return nullptr;
  const json& a = j.at("architectures").at(0);
  for (const auto& [wrapper, tower] : kTextTowers) {
    if (a.is_string() && a.get<std::string>() == wrapper) return tower;
  }
  return nullptr;
}

// Gemma3Config (configuration_gemma3.py): text_config holds the decoder (a sparse one relies on
// Gemma3TextConfig's defaults); the token ids, dtype and tie_word_embeddings of the top level are the
// model's (generation reads them there).
LlamaConfig parse_text_tower(const json& j, const std::string& file, const char* tower) {
  const std::string wrapper = j.at("architectures").at(0).get<std::string>();
  if (!j.contains("text_config") || !j.at("text_config").is_object()) {
    throw ConfigError({Diagnostic{{file, 0, 0}, "text_config", wrapper + " needs a text_config object",
                                  j.contains("text_config") ? j.at("text_config").dump().substr(0, 80) : "nothing",
                                  "the text tower's settings", "is this config.json complete?"}});
  }
  json text = j.at("text_config");
  text["architectures"] = json::array({tower});
  for (const char* key : {"bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype", "dtype"}) {
    if (j.contains(key) && !j.at(key).is_null()) text[key] = j.at(key);
  }
  // transformers ties the head by the text config's flag (get_text_config); the top level's as a fallback.
  if (!text.contains("tie_word_embeddings") && j.contains("tie_word_embeddings")) {
    text["tie_word_embeddings"] = j.at("tie_word_embeddings");
  }
  LlamaConfig c = parse_llama_config(text, file + " (text_config)");
  c.wrapper_architecture = wrapper;
  return c;
}

}  // namespace

LlamaConfig parse_llama_config(const json& j, const std::string& file) {
  if (!j.is_object()) {
    throw ConfigError({Diagnostic{{file, 0, 0}, {}, "config.json must hold a JSON object", j.type_name(), "object", {}}});
  }
  if (const char* tower = text_tower_of(j)) return parse_text_tower(j, file, tower);
  LlamaConfig c;
  Reader r(j, file);
  if (r.has("architectures")) {
    const json& a = j.at("architectures");
    if (!a.is_array() || a.empty() || !a.at(0).is_string()) {
      r.problem("architectures", "must be a list of architecture names", a.dump());
    } else {
      c.architecture = a.at(0).get<std::string>();
    }
  } else if (j.contains("model_type") && j.at("model_type").is_string() && j.at("model_type") != "llama") {
    const std::string mt = j.at("model_type").get<std::string>();
    const std::string arch = architecture_for_model_type(mt);
    c.architecture = arch.empty() ? mt : arch;
  }
  if (const std::string lm = causal_lm_of_classifier(c.architecture, &c.token_classifier); !lm.empty()) {
    c.architecture = lm;  // PretrainedConfig: num_labels = len(id2label), 2 by default
    c.num_labels = 2;
    if (j.contains("id2label") && j.at("id2label").is_object() && !j.at("id2label").empty()) {
      c.num_labels = static_cast<int64_t>(j.at("id2label").size());
    } else if (r.has("num_labels")) {
      r.integer("num_labels", &c.num_labels);
    }
  }
  const FamilyTraits* family = find_family(c.architecture);
  if (!family) {
    r.problem("architectures", "unsupported architecture", c.architecture, accepted_architectures(),
              refusal_reason(c.architecture) +
                  "; the decoder serves LLaMA, Mistral, Qwen2/2.5, Qwen3, Gemma-2, Gemma-3 (text) and Phi-3");
  }
  const int64_t kv_default = family ? apply_size_defaults(*family, c) : 0;
  r.integer("vocab_size", &c.vocab_size);
  r.integer("hidden_size", &c.hidden_size);
  r.integer("intermediate_size", &c.intermediate_size);
  r.integer("num_hidden_layers", &c.num_hidden_layers);
  r.integer("num_attention_heads", &c.num_attention_heads);
  c.num_key_value_heads = kv_default > 0 ? kv_default : c.num_attention_heads;
  r.integer("num_key_value_heads", &c.num_key_value_heads);
  c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  const bool explicit_head_dim = r.has("head_dim");
  if (family) read_family(*family, c, explicit_head_dim);
  r.integer("head_dim", &c.head_dim);
  r.integer("max_position_embeddings", &c.max_position_embeddings);
  r.number("rms_norm_eps", &c.rms_norm_eps);
  r.number("rope_theta", &c.rope_theta);
  r.number("initializer_range", &c.initializer_range);
  r.boolean("tie_word_embeddings", &c.tie_word_embeddings);
  r.boolean("attention_bias", &c.attention_bias);
  r.boolean("mlp_bias", &c.mlp_bias);
  if (r.has("rope_scaling")) r.rope(j.at("rope_scaling"), "rope_scaling", &c.rope_scaling);
  if (r.has("rope_local_base_freq")) {
    double v = 0;
    r.number("rope_local_base_freq", &v);
    c.rope_local_theta = v;
  }
  if (r.has("rope_parameters")) {  // v5: also carries rope_theta; per layer type for Gemma-3
    const json& p = j.at("rope_parameters");
    if (p.is_object() && p.contains("full_attention")) {
      r.rope(p.at("full_attention"), "rope_parameters.full_attention", &c.rope_scaling);
      r.number_in(p.at("full_attention"), "rope_theta", "rope_parameters.full_attention.rope_theta", &c.rope_theta);
      if (p.contains("sliding_attention") && p.at("sliding_attention").is_object()) {
        double local = c.rope_local_theta.value_or(c.rope_theta);
        r.number_in(p.at("sliding_attention"), "rope_theta", "rope_parameters.sliding_attention.rope_theta", &local);
        c.rope_local_theta = local;
      }
    } else {
      r.rope(p, "rope_parameters", &c.rope_scaling);
      if (p.is_object()) r.number_in(p, "rope_theta", "rope_parameters.rope_theta", &c.rope_theta);
      if (p.is_object()) r.number_in(p, "partial_rotary_factor", "rope_parameters.partial_rotary_factor",
                                     &c.partial_rotary_factor);
    }
  }
  for (const char* key : {"hidden_activation", "hidden_act"}) {  // Gemma reads hidden_activation first
    if (!r.has(key)) continue;
    const std::string act = j.at(key).is_string() ? j.at(key).get<std::string>() : j.at(key).dump();
    if (act != "silu" && act != "gelu_pytorch_tanh") {
      r.problem(key, "unsupported activation", act, "silu or gelu_pytorch_tanh");
    } else {
      c.hidden_act = act;
    }
    break;
  }
  r.boolean("use_sliding_window", &c.use_sliding_window);
  if (r.has("max_window_layers")) {
    int64_t v = 0;
    r.integer("max_window_layers", &v, false);
    c.max_window_layers = v;
  }
  if (c.architecture == "MistralForCausalLM" && !j.contains("sliding_window")) c.sliding_window = 4096;  // MistralConfig
  if (j.contains("sliding_window") && j.at("sliding_window").is_null()) c.sliding_window.reset();
  if (r.has("sliding_window")) {
    int64_t w = 0;
    r.integer("sliding_window", &w, false);
    if (w > 0) c.sliding_window = w; else c.sliding_window.reset();
  }
  if ((c.model_type == "qwen2" || c.model_type == "qwen3") && !c.use_sliding_window) {
    c.sliding_window.reset();  // Qwen2Config: sliding_window only with use_sliding_window (3p: 32768 + false)
  }
  if (family) {
    if (j.contains("query_pre_attn_scalar")) optional_number(r, j, "query_pre_attn_scalar", &c.query_pre_attn_scalar);
    optional_number(r, j, "attn_logit_softcapping", &c.attn_logit_softcapping);
    optional_number(r, j, "final_logit_softcapping", &c.final_logit_softcapping);
    r.number("partial_rotary_factor", &c.partial_rotary_factor);
    if (c.partial_rotary_factor <= 0.0 || c.partial_rotary_factor > 1.0) {
      r.problem("partial_rotary_factor", "must be in (0, 1]", std::to_string(c.partial_rotary_factor));
    }
    if (r.has("original_max_position_embeddings")) {
      int64_t v = 0;
      r.integer("original_max_position_embeddings", &v);
      c.original_max_position_embeddings = v;
    }
    read_layer_pattern(r, j, c);
  }
  const RopeType rope_type = c.rope_scaling.type;
  if (rope_type == RopeType::kLongRope || rope_type == RopeType::kYarn) {
    // transformers v5 standardize_rope_params: a top-level original_max_position_embeddings wins, then
    // the rope object's, else max_position_embeddings.
    if (c.original_max_position_embeddings) {
      c.rope_scaling.original_max_position_embeddings = *c.original_max_position_embeddings;
    } else if (!r.rope_original_given) {
      c.rope_scaling.original_max_position_embeddings = c.max_position_embeddings;
    }
  }
  if (rope_type == RopeType::kYarn && r.yarn_factor_null) {  // _compute_yarn_parameters: factor None
    c.rope_scaling.factor = static_cast<double>(c.max_position_embeddings) /
                            static_cast<double>(c.rope_scaling.original_max_position_embeddings);
    if (c.rope_scaling.factor < 1.0) {
      r.problem("rope_scaling.factor", "null: max_position_embeddings / original_max_position_embeddings is < 1",
                std::to_string(c.rope_scaling.factor), ">= 1", "set factor explicitly");
    }
  }
  if (rope_type == RopeType::kLongRope) {
    const size_t half = static_cast<size_t>(c.rotary_dim() / 2);
    if (c.rope_scaling.short_factor.size() != half || c.rope_scaling.long_factor.size() != half) {
      r.problem("rope_scaling.short_factor", "longrope factors must have one entry per rotary frequency",
                std::to_string(c.rope_scaling.short_factor.size()) + " and " +
                    std::to_string(c.rope_scaling.long_factor.size()),
                std::to_string(half) + " each");
    }
  }
  r.integer("bos_token_id", &c.bos_token_id, false);
  if (r.has("eos_token_id")) {
    const json& e = j.at("eos_token_id");
    c.eos_token_ids.clear();
    if (e.is_number_integer()) {
      c.eos_token_ids.push_back(e.get<int64_t>());
    } else if (e.is_array()) {
      for (const auto& v : e) {
        if (!v.is_number_integer()) {
          r.problem("eos_token_id", "must be an integer or a list of integers", e.dump());
          break;
        }
        c.eos_token_ids.push_back(v.get<int64_t>());
      }
    } else {
      r.problem("eos_token_id", "must be an integer or a list of integers", e.dump());
    }
  }
  if (r.has("pad_token_id")) {
    int64_t pad = 0;
    r.integer("pad_token_id", &pad, false);
    c.pad_token_id = pad;
  }
  for (const char* key : {"dtype", "torch_dtype"}) {  // newer transformers write `dtype`
    if (!r.has(key)) continue;
    const json& v = j.at(key);
    const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    if (s != "float32" && s != "bfloat16" && s != "float16") {
      r.problem(key, "unsupported weight dtype", s, "float32, bfloat16 or float16");
    } else {
      c.torch_dtype = s;
    }
    break;
  }
  if (c.num_attention_heads > 0 && c.num_key_value_heads > 0 && c.num_attention_heads % c.num_key_value_heads != 0) {
    r.problem("num_key_value_heads", "must divide num_attention_heads", std::to_string(c.num_key_value_heads),
              "a divisor of " + std::to_string(c.num_attention_heads));
  }
  if (!explicit_head_dim && c.num_attention_heads > 0 && c.hidden_size % c.num_attention_heads != 0) {
    r.problem("hidden_size", "must be a multiple of num_attention_heads (or set head_dim)",
              std::to_string(c.hidden_size));
  }
  if (c.head_dim % 2 != 0) r.problem("head_dim", "must be even (RoPE rotates pairs)", std::to_string(c.head_dim));
  if (c.rotary_dim() % 2 != 0) {
    r.problem("partial_rotary_factor", "head_dim · partial_rotary_factor must be even", std::to_string(c.rotary_dim()));
  }
  // Values that parse but give a silently broken model: a zero or negative epsilon divides by
  // ~0 in RMSNorm, a non-positive RoPE base gives NaN or constant angles.
  if (!(c.rms_norm_eps > 0) || !std::isfinite(c.rms_norm_eps))
    r.problem("rms_norm_eps", "must be a positive number", std::to_string(c.rms_norm_eps), "> 0 (typically 1e-5 or 1e-6)");
  if (!(c.rope_theta > 0) || !std::isfinite(c.rope_theta))
    r.problem("rope_theta", "must be a positive number", std::to_string(c.rope_theta), "> 0 (typically 10000 or 500000)");
  if (c.rope_local_theta && (!(*c.rope_local_theta > 0) || !std::isfinite(*c.rope_local_theta)))
    r.problem("rope_local_base_freq", "must be a positive number", std::to_string(*c.rope_local_theta), "> 0");
  if (!r.problems().empty()) throw ConfigError(std::move(r.problems()));
  return c;
}

json with_config_overrides(json j, const std::string& overrides) {
  if (overrides.empty()) return j;
  const json o = json::parse(overrides, nullptr, false);
  if (!o.is_object()) {
    throw ConfigError({Diagnostic{{}, "model_config", "overrides must be a map of config.json keys", overrides,
                                  "an object", {}}});
  }
  if (j.is_object()) {
    for (const auto& [k, v] : o.items()) j[k] = v;
  }
  return j;
}

LlamaConfig load_llama_config(const std::string& path, const std::string& overrides) {
  std::filesystem::path p(path);
  const bool folder = std::filesystem::is_directory(p);
  if (folder) p /= "config.json";
  std::ifstream in(p);
  if (!in) {
    // A parent folder given as the model: name the model folders inside it.
    std::string hint = folder ? did_you_mean_paths(folders_holding(path, "config.json")) : std::string();
    if (hint.empty()) hint = "is this a Hugging Face model folder?";
    throw IoError(Diagnostic{{p.string(), 0, 0}, {}, folder ? "not a model folder: no config.json"
                                                            : "cannot read the model config", {}, {}, hint});
  }
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number too large
    throw ConfigError({Diagnostic{{p.string(), 0, 0}, {}, std::string("invalid JSON: ") + e.what(), {}, {}, {}}});
  }
  return parse_llama_config(with_config_overrides(std::move(j), overrides), p.string());
}

std::string llama_config_json(const LlamaConfig& c) {
  json j;
  j["architectures"] = {c.num_labels > 0 ? classifier_of(c.architecture, c.token_classifier) : c.architecture};
  if (c.num_labels > 0) {  // PretrainedConfig.to_dict: the default LABEL_i names
    json id2label = json::object(), label2id = json::object();
    for (int64_t i = 0; i < c.num_labels; ++i) {
      id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
      label2id["LABEL_" + std::to_string(i)] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["hidden_act"] = c.hidden_act;
  j["transformers_version"] = kTransformersVersion;
  j["initializer_range"] = c.initializer_range;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["attention_bias"] = c.attention_bias;
  j["attention_dropout"] = 0.0;
  j["mlp_bias"] = c.mlp_bias;
  j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_ids.size() == 1) {
    j["eos_token_id"] = c.eos_token_ids[0];
  } else {
    j["eos_token_id"] = c.eos_token_ids;
  }
  if (c.pad_token_id) j["pad_token_id"] = *c.pad_token_id;
  j["torch_dtype"] = c.torch_dtype;
  j["use_cache"] = true;
  if (c.rope_scaling.type == RopeType::kDefault) {
    j["rope_scaling"] = nullptr;
  } else {
    static const char* kNames[] = {"default", "linear", "dynamic", "llama3", "longrope", "yarn"};
    json s{{"rope_type", kNames[static_cast<int>(c.rope_scaling.type)]}, {"factor", c.rope_scaling.factor}};
    if (c.rope_scaling.type == RopeType::kLongRope) {
      s.erase("factor");
      s["short_factor"] = c.rope_scaling.short_factor;
      s["long_factor"] = c.rope_scaling.long_factor;
      if (c.rope_scaling.attention_factor) s["attention_factor"] = *c.rope_scaling.attention_factor;
    }
    if (c.rope_scaling.type == RopeType::kYarn) {  // the standardized dict transformers v5 saves
      const auto& rs = c.rope_scaling;
      s["original_max_position_embeddings"] = rs.original_max_position_embeddings;
      const std::pair<const char*, const std::optional<double>*> keys[] = {
          {"attention_factor", &rs.attention_factor}, {"beta_fast", &rs.beta_fast}, {"beta_slow", &rs.beta_slow},
          {"mscale", &rs.mscale}, {"mscale_all_dim", &rs.mscale_all_dim}};
      for (const auto& [key, v] : keys) {
        if (*v) s[key] = **v;
      }
      if (rs.truncate) s["truncate"] = *rs.truncate;
    }
    if (c.rope_scaling.type == RopeType::kLlama3) {
      s["low_freq_factor"] = c.rope_scaling.low_freq_factor;
      s["high_freq_factor"] = c.rope_scaling.high_freq_factor;
      s["original_max_position_embeddings"] = c.rope_scaling.original_max_position_embeddings;
    }
    j["rope_scaling"] = s;
  }
  if (c.sliding_window) j["sliding_window"] = *c.sliding_window;
  write_family_keys(c, j);
  return j.dump(2) + "\n";
}

}  // namespace axolotl::model
