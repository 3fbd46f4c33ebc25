// ConfigReader's rope scaling (FORMATS.md §2.4; transformers 5.14.1 modeling_rope_utils.py): default,
// linear, dynamic, llama3, longrope and yarn, every bad key reported at once.
#include "config_reader.h"

namespace axolotl::model::detail {

void ConfigReader::rope(const json& obj, const std::string& name, RopeScaling* out) {
  if (!obj.is_object()) return problem(name, "must be an object or null", obj.dump());
  std::string type;
  for (const char* k : {"rope_type", "type"}) {
    if (obj.contains(k) && obj.at(k).is_string()) {
      type = obj.at(k).get<std::string>();
      break;
    }
  }
  if (type.empty() || type == "default") {
    out->type = RopeType::kDefault;
  } else if (type == "linear") {
    out->type = RopeType::kLinear;
  } else if (type == "dynamic") {
    out->type = RopeType::kDynamic;
  } else if (type == "llama3") {
    out->type = RopeType::kLlama3;
    for (const char* k : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
      if (!obj.contains(k)) problem(name + "." + k, "required for rope_type llama3");
    }
  } else if (type == "longrope" || type == "su") {  // Phi-3 128k variants ("su" is the old spelling)
    out->type = RopeType::kLongRope;
    for (const char* k : {"short_factor", "long_factor"}) {
      if (!obj.contains(k) || !obj.at(k).is_array()) {
        problem(name + "." + k, "required for rope_type longrope (a list of numbers)");
        continue;
      }
      auto& dst = std::string(k) == "short_factor" ? out->short_factor : out->long_factor;
      dst.clear();
      for (const auto& v : obj.at(k)) {
        if (!v.is_number()) {
          problem(name + "." + k, "must be a list of numbers", obj.at(k).dump());
          break;
        }
        dst.push_back(v.get<double>());
      }
    }
    if (obj.contains("attention_factor") && obj.at("attention_factor").is_number()) {
      out->attention_factor = obj.at("attention_factor").get<double>();
    }
  } else if (type == "yarn") {  // Qwen2.5/Qwen3 long context, DeepSeek (mscale)
    out->type = RopeType::kYarn;
    yarn(obj, name, out);
  } else {
    return problem(name + ".rope_type", "unsupported rope scaling type", type,
                   "default, linear, dynamic, llama3, longrope or yarn");
  }
  number_in(obj, "factor", name + ".factor", &out->factor);
  if (out->type != RopeType::kDefault && out->factor < 1.0) {
    problem(name + ".factor", "must be >= 1", std::to_string(out->factor));
  }
  number_in(obj, "low_freq_factor", name + ".low_freq_factor", &out->low_freq_factor);
  number_in(obj, "high_freq_factor", name + ".high_freq_factor", &out->high_freq_factor);
  if (obj.contains("original_max_position_embeddings") && !obj.at("original_max_position_embeddings").is_null()) {
    rope_original_given = true;
    const json& v = obj.at("original_max_position_embeddings");
    if (!v.is_number_integer()) {
      problem(name + ".original_max_position_embeddings", "must be an integer", v.dump());
    } else {
      out->original_max_position_embeddings = v.get<int64_t>();
    }
  }
  if (out->type == RopeType::kLlama3 && out->high_freq_factor <= out->low_freq_factor) {
    problem(name + ".high_freq_factor", "must exceed low_freq_factor");
  }
}

void ConfigReader::yarn(const json& obj, const std::string& name, RopeScaling* out) {
  if (!obj.contains("factor")) {
    problem(name + ".factor", "required for rope_type yarn", {}, "a number >= 1",
            "Qwen's long-context setting is {\"rope_type\": \"yarn\", \"factor\": 4.0, "
            "\"original_max_position_embeddings\": 32768}");
  } else if (obj.at("factor").is_null()) {
    yarn_factor_null = true;
  }
  const std::pair<const char*, std::optional<double>*> keys[] = {
      {"attention_factor", &out->attention_factor}, {"beta_fast", &out->beta_fast},
      {"beta_slow", &out->beta_slow},               {"mscale", &out->mscale},
      {"mscale_all_dim", &out->mscale_all_dim}};
  for (const auto& [key, dst] : keys) {
    if (!obj.contains(key) || obj.at(key).is_null()) continue;
    double v = 0;
    number_in(obj, key, name + "." + key, &v);
    *dst = v;
  }
  if (out->attention_factor && *out->attention_factor < 0) {
    problem(name + ".attention_factor", "must be >= 0", std::to_string(*out->attention_factor));
  }
  if (obj.contains("truncate") && !obj.at("truncate").is_null()) {
    if (!obj.at("truncate").is_boolean()) {
      problem(name + ".truncate", "must be true or false", obj.at("truncate").dump());
    } else {
      out->truncate = obj.at("truncate").get<bool>();
    }
  }
}

}  // namespace axolotl::model::detail
