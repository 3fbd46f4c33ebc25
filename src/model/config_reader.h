// config.json reading with every bad key collected (llama_config.cpp's parser; rope scaling in
// config_reader.cpp). Private to src/model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/model/llama_config.h"
#include "axolotl/util/error.h"

namespace axolotl::model::detail {

using nlohmann::json;

// Collects problems so every bad key is reported at once.
class ConfigReader {
 public:
  ConfigReader(const json& j, std::string file) : j_(j), file_(std::move(file)) {}

  void problem(const std::string& key, const std::string& message, const std::string& found = {},
               const std::string& expected = {}, const std::string& hint = {}) {
    problems_.push_back(Diagnostic{{file_, 0, 0}, key, message, found, expected, hint});
  }
  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  void integer(const char* key, int64_t* out, bool positive = true) {
    if (!has(key)) return;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) return problem(key, "must be an integer", v.dump());
    *out = v.get<int64_t>();
    if (positive && *out <= 0) problem(key, "must be positive", v.dump());
  }
  void number(const char* key, double* out) { number_in(j_, key, key, out); }
  void number_in(const json& obj, const char* key, const std::string& name, double* out) {
    if (!obj.contains(key) || obj.at(key).is_null()) return;
    const json& v = obj.at(key);
    if (!v.is_number()) return problem(name, "must be a number", v.dump());
    *out = v.get<double>();
  }
  void boolean(const char* key, bool* out) {
    if (!has(key)) return;
    const json& v = j_.at(key);
    if (!v.is_boolean()) return problem(key, "must be true or false", v.dump());
    *out = v.get<bool>();
  }

  // rope_scaling / rope_parameters (config_reader.cpp): type, factors, the yarn keys.
  void rope(const json& obj, const std::string& name, RopeScaling* out);
  // transformers v5 RotaryEmbeddingConfigMixin._validate_yarn_rope_parameters: `factor` is required (null
  // -> max_position_embeddings / original, resolved by the caller); the other keys are optional.
  void yarn(const json& obj, const std::string& name, RopeScaling* out);

  std::vector<Diagnostic>& problems() { return problems_; }
  bool rope_original_given = false;  // the rope object named original_max_position_embeddings
  bool yarn_factor_null = false;     // yarn "factor": null

 private:
  const json& j_;
  std::string file_;
  std::vector<Diagnostic> problems_;
};


}  // namespace axolotl::model::detail
