// PEFT adapter_config.json (FORMATS.md §3.2) and target matching (§3.3; peft tuners_utils.py
// check_target_module_exists).
#include "axolotl/adapters/adapter_config.h"
#include "axolotl/model/hf_versions.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::adapters {
namespace fs = std::filesystem;
namespace {

constexpr double kMaxLoraAlpha = 65536;  // scaling alpha/r past this is a typo, not a choice

bool ends_with_segment(const std::string& name, const std::string& entry) {
  if (name == entry) return true;
  return name.size() > entry.size() && name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
         name[name.size() - entry.size() - 1] == '.';
}

nlohmann::json number(double v) {
  // Python keeps YAML integers as int (16) and floats as float (0.05, 0.0).
  if (std::floor(v) == v && std::fabs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

}  // namespace

const std::vector<std::string>& llama_linear_names() {
  static const std::vector<std::string> kNames = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                  "gate_proj", "up_proj", "down_proj"};
  return kNames;
}

double AdapterConfig::scaling() const {
  return use_rslora ? lora_alpha / std::sqrt(static_cast<double>(r)) : lora_alpha / static_cast<double>(r);
}

bool AdapterConfig::targets(const std::string& module_name) const {
  if (!target_regex.empty()) return std::regex_match(module_name, std::regex(target_regex));
  return std::any_of(target_modules.begin(), target_modules.end(),
                     [&](const std::string& e) { return ends_with_segment(module_name, e); });
}

bool AdapterConfig::saves(const std::string& module_name) const {
  if (!modules_to_save) return false;
  return std::any_of(modules_to_save->begin(), modules_to_save->end(), [&](const std::string& e) {
    return module_name.size() >= e.size() && module_name.compare(module_name.size() - e.size(), e.size(), e) == 0;
  });
}

AdapterConfig adapter_config_from(const config::LoraConfig& lora, const std::string& base_model) {
  AdapterConfig c;
  c.r = lora.rank;
  c.lora_alpha = lora.alpha;
  c.lora_dropout = lora.dropout;
  std::set<std::string> targets(lora.target_modules.begin(), lora.target_modules.end());
  if (lora.target_linear) targets.insert(llama_linear_names().begin(), llama_linear_names().end());
  if (targets.empty() && lora.target_regex.empty()) targets = {"q_proj", "v_proj"};
  c.target_modules.assign(targets.begin(), targets.end());
  if (targets.empty()) c.target_regex = lora.target_regex;  // PEFT: a string is one full-match regex
  if (!lora.modules_to_save.empty()) c.modules_to_save = lora.modules_to_save;
  c.use_rslora = lora.use_rslora;
  c.loftq_bits = lora.loftq_bits;
  // PEFT resets fan_in_fan_out to false for nn.Linear targets (LLaMA's) and saves that.
  if (lora.fan_in_fan_out) log::warn("adapters", "lora_fan_in_fan_out is for Conv1D weights; LLaMA's are [out, in]: ignored");
  // As the user named it: a Hub id stays an id; a local folder becomes absolute, so the adapter finds
  // its base from anywhere (PEFT writes the name it was given).
  std::error_code ec;
  c.base_model_name_or_path = base_model;
  if (!base_model.empty() && fs::exists(base_model, ec)) {
    const fs::path abs = fs::absolute(base_model, ec);
    if (!ec) c.base_model_name_or_path = abs.lexically_normal().string();
    if (c.base_model_name_or_path.size() > 1 && c.base_model_name_or_path.back() == '/') c.base_model_name_or_path.pop_back();
  }
  return c;
}

std::string adapter_config_json(const AdapterConfig& c) {
  using nlohmann::json;
  json j = json::object();
  // Every key PEFT 0.19's LoraConfig.to_dict() writes (runtime_config dropped), at its default where
  // we have no such feature.
  j["alora_invocation_tokens"] = nullptr;
  j["alpha_pattern"] = json::object();
  j["arrow_config"] = nullptr;
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] = c.base_model_name_or_path.empty() ? json(nullptr) : json(c.base_model_name_or_path);
  j["bias"] = "none";
  j["corda_config"] = nullptr;
  j["ensure_weight_tying"] = false;
  j["eva_config"] = nullptr;
  j["exclude_modules"] = nullptr;
  j["fan_in_fan_out"] = c.fan_in_fan_out;
  j["inference_mode"] = true;
  j["init_lora_weights"] = c.loftq_bits > 0 ? json("loftq") : json(true);
  j["layer_replication"] = nullptr;
  j["layers_pattern"] = nullptr;
  j["layers_to_transform"] = nullptr;
  j["loftq_config"] = c.loftq_bits > 0 ? json{{"loftq_bits", c.loftq_bits}, {"loftq_iter", 1}} : json::object();
  j["lora_alpha"] = number(c.lora_alpha);
  j["lora_bias"] = false;
  j["lora_dropout"] = c.lora_dropout;
  j["lora_ga_config"] = nullptr;
  j["megatron_config"] = nullptr;
  j["megatron_core"] = "megatron.core";
  j["modules_to_save"] = c.modules_to_save ? json(*c.modules_to_save) : json(nullptr);
  j["peft_type"] = "LORA";
  j["peft_version"] = model::kPeftVersion;
  j["qalora_group_size"] = 16;
  j["r"] = c.r;
  j["rank_pattern"] = json::object();
  j["revision"] = nullptr;
  j["target_modules"] = c.target_regex.empty() ? json(c.target_modules) : json(c.target_regex);
  j["target_parameters"] = nullptr;
  j["task_type"] = c.task_type.empty() ? json(nullptr) : json(c.task_type);
  j["trainable_token_indices"] = nullptr;
  j["use_bdlora"] = nullptr;
  j["use_dora"] = false;
  j["use_qalora"] = false;
  j["use_rslora"] = c.use_rslora;
  // nlohmann objects are std::map (sorted keys); dump(2) uses Python's ", " / ": " layout.
  return j.dump(2, ' ', /*ensure_ascii=*/true);
}

AdapterConfig parse_adapter_config(const std::string& text, const std::string& file) {
  using nlohmann::json;
  std::vector<Diagnostic> problems;
  auto problem = [&](const std::string& key, const std::string& message, const std::string& found,
                     const std::string& expected) {
    problems.push_back(Diagnostic{Location{file, 0, 0}, key, message, found, expected,
                                  "this adapter needs features axolotl does not implement"});
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ConfigError({Diagnostic{Location{file, 0, 0}, {}, "adapter_config.json is not valid JSON", e.what(), {}, {}}});
  }
  if (!j.is_object()) {
    throw ConfigError({Diagnostic{Location{file, 0, 0}, {}, "adapter_config.json is not an object", j.type_name(), "object", {}}});
  }
  AdapterConfig c;
  auto get = [&](const char* key, auto fallback) {
    using T = decltype(fallback);
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
      return it->template get<T>();
    } catch (const json::exception&) {
      problem(key, "wrong type", it->dump(), std::is_same_v<T, std::string> ? "a string" : "a number or boolean");
      return fallback;
    }
  };
  const auto peft_type = get("peft_type", std::string());
  if (peft_type != "LORA") problem("peft_type", "only LoRA adapters are supported", "\"" + peft_type + "\"", "\"LORA\"");
  c.r = get("r", int64_t{8});
  if (c.r <= 0) problem("r", "rank must be positive", std::to_string(c.r), "> 0");
  c.lora_alpha = get("lora_alpha", 8.0);
  // Scaling is alpha / r (or / sqrt(r)); a non-positive or huge alpha gives a silently broken model.
  if (!std::isfinite(c.lora_alpha) || c.lora_alpha <= 0 || c.lora_alpha > kMaxLoraAlpha)
    problem("lora_alpha", "must be a positive number of sensible size", number(c.lora_alpha).dump(),
            "0 < lora_alpha <= " + std::to_string(static_cast<int>(kMaxLoraAlpha)));
  c.lora_dropout = get("lora_dropout", 0.0);
  c.use_rslora = get("use_rslora", false);
  c.fan_in_fan_out = get("fan_in_fan_out", false);
  c.base_model_name_or_path = get("base_model_name_or_path", std::string());
  c.task_type = get("task_type", std::string());
  if (auto it = j.find("target_modules"); it != j.end()) {
    if (it->is_string() && it->get<std::string>() == "all-linear") {
      c.target_modules = llama_linear_names();
    } else if (it->is_string()) {
      c.target_regex = it->get<std::string>();
    } else if (it->is_array() && std::all_of(it->begin(), it->end(), [](const json& e) { return e.is_string(); })) {
      c.target_modules = it->get<std::vector<std::string>>();
    } else if (!it->is_null()) {
      problem("target_modules", "wrong type", it->dump(), "a list of names or a regex string");
    }
  }
  if (auto it = j.find("modules_to_save"); it != j.end() && !it->is_null()) {
    if (it->is_array() && std::all_of(it->begin(), it->end(), [](const json& e) { return e.is_string(); })) {
      c.modules_to_save = it->get<std::vector<std::string>>();
    } else {
      problem("modules_to_save", "wrong type", it->dump(), "a list of module names or null");
    }
  }
  if (get("use_dora", false)) problem("use_dora", "DoRA is not supported", "true", "false");
  if (get("bias", std::string("none")) != "none") problem("bias", "LoRA biases are not supported", j["bias"].dump(), "\"none\"");
  if (get("lora_bias", false)) problem("lora_bias", "LoRA biases are not supported", "true", "false");
  for (const char* key : {"rank_pattern", "alpha_pattern"}) {
    if (auto it = j.find(key); it != j.end() && !it->is_null() && !it->empty()) {
      problem(key, "per-module rank/alpha patterns are not supported", it->dump(), "{}");
    }
  }
  if (get("use_qalora", false)) problem("use_qalora", "QA-LoRA is not supported", "true", "false");
  for (const char* key : {"layers_to_transform", "layer_replication", "target_parameters", "trainable_token_indices",
                          "alora_invocation_tokens", "use_bdlora", "arrow_config"}) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) problem(key, "not supported", it->dump(), "null");
  }
  if (auto it = j.find("init_lora_weights"); it != j.end() && it->is_string() && *it == "loftq") {
    const auto lq = j.value("loftq_config", json::object());
    c.loftq_bits = lq.is_object() ? lq.value("loftq_bits", 4) : 4;
    if (lq.is_object() && lq.value("loftq_iter", 1) != 1) {
      problem("loftq_config", "LoftQ with more than one alternating iteration is not supported", lq.dump(),
              "loftq_iter: 1 (Axolotl's)");
    }
    if (c.loftq_bits != 4 && c.loftq_bits != 8) problem("loftq_config", "LoftQ quantizes to NF4 or int8",
                                                        lq.dump(), "loftq_bits 4 or 8");
  } else if (auto it = j.find("init_lora_weights"); it != j.end() && it->is_string()) {
    // pissa/olora/... change the base weights at init: the adapter alone does not reproduce them.
    problem("init_lora_weights", "initialisations that modify the base model are not supported", it->dump(), "true or false");
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return c;
}

AdapterConfig read_adapter_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot read adapter config", {}, {},
                             "lora_model_dir must hold adapter_config.json and adapter_model.safetensors"});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_adapter_config(ss.str(), path);
}

}  // namespace axolotl::adapters
