// `qat:` (see qat_fields.h). Dtype spellings from validate_ao_dtype; the dtype pairs and group sizes from
// get_quantization_config and _make_qat_config (utils/quantization.py); the base checks from
// check_qat_config (utils/schemas/config.py).
#include "qat_fields.h"

namespace axolotl::config::detail {
namespace {

const Names<QatDType> kDTypes = {{"int4", QatDType::kInt4},       {"int8", QatDType::kInt8},
                                 {"float8_e4m3fn", QatDType::kFloat8}, {"fp8", QatDType::kFloat8},
                                 {"float8", QatDType::kFloat8},   {"nvfp4", QatDType::kNvfp4},
                                 {"mxfp4", QatDType::kMxfp4}};
const std::vector<std::string> kKeys = {"activation_dtype", "weight_dtype", "quantize_embedding", "group_size",
                                        "fake_quant_after_n_steps"};

bool read_dtype(const YAML::Node& v, QatDType& out, State& st, const std::string& at) {
  std::string s;
  if (read_string(v, s)) {
    for (const auto& [name, d] : kDTypes) {
      if (name == s) {
        out = d;
        return true;
      }
    }
  }
  std::vector<std::string> all;
  for (const auto& p : kDTypes) all.push_back(p.first);
  const std::string guess = v.IsScalar() ? did_you_mean(s, all) : "";
  st.error(st.at(v), at, "unknown quantization dtype", describe(v), "one of " + names_str(kDTypes),
           guess.empty() ? "" : "did you mean '" + guess + "'?");
  return false;
}

void read_qat(Config& c, const YAML::Node& n, State& st, const std::string& key) {
  QatConfig q;
  q.enabled = true;
  if (!n.IsMap()) {
    st.error(st.at(n), key, "wrong type", describe(n), "a map such as {weight_dtype: int4, activation_dtype: int8}");
    return;
  }
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const std::string at = key + "." + k;
    const YAML::Node& v = kv.second;
    if (k == "activation_dtype") {
      if (!v.IsNull()) read_dtype(v, q.activation_dtype, st, at);
    } else if (k == "weight_dtype") {
      if (!v.IsNull()) read_dtype(v, q.weight_dtype, st, at);
    } else if (k == "quantize_embedding") {
      if (!v.IsNull()) read_value(v, q.quantize_embedding, st, at, {});
    } else if (k == "group_size") {
      if (v.IsNull()) q.group_size.reset();  // Axolotl's None: the recipe's own size
      else read_value(v, q.group_size, st, at, at_least(1));
    } else if (k == "fake_quant_after_n_steps") {
      if (!v.IsNull()) read_value(v, q.fake_quant_after_n_steps, st, at, at_least(0));
    } else {
      const std::string guess = did_you_mean(k, kKeys);
      st.error(st.at(kv.first), at, "unknown key in qat", "'" + k + "'",
               "activation_dtype, weight_dtype, quantize_embedding, group_size, fake_quant_after_n_steps",
               guess.empty() ? "" : "did you mean '" + guess + "'?");
    }
  }
  c.qat = q;
}

Json dtype_json(QatDType d) { return d == QatDType::kNone ? Json(nullptr) : Json(name_of(kDTypes, d)); }

std::string dtype_name(QatDType d) { return d == QatDType::kNone ? "none" : name_of(kDTypes, d); }

// get_quantization_config's refusals for a (weight, activation) pair; "" when torchao can fake it.
std::string unsupported_pair(QatDType w, QatDType a) {
  using D = QatDType;
  if (a == D::kNone && w == D::kInt8) return "Int8WeightOnlyConfig is not supported by torchao QAT";
  if (a == D::kNone && w == D::kInt4) return "";
  if (a == D::kInt4 && w == D::kInt4) return "Int4DynamicActivationInt4WeightConfig is not supported by torchao QAT";
  if (a == D::kInt8 && w == D::kInt8) return "Int8DynamicActivationInt8WeightConfig is not supported by torchao QAT";
  if (a == D::kInt8 && w == D::kInt4) return "";
  if (a == D::kFloat8 && (w == D::kFloat8 || w == D::kInt4)) return "";
  if (w == D::kMxfp4) return "";  // activations are mxfp4 whatever activation_dtype says (check_qat notes it)
  if (w == D::kNvfp4 && (a == D::kNone || a == D::kNvfp4)) return "";
  if (w == D::kNvfp4) return "nvfp4 weights go with nvfp4 activations or none";
  return "invalid activation/weight dtype combination";
}

}  // namespace

Field qat_field() {
  Field f;
  f.nested = "training.qat";
  f.flat = {"qat"};
  f.type = "map {weight_dtype, activation_dtype, group_size, quantize_embedding, fake_quant_after_n_steps}";
  f.help = "quantization-aware training: linear layers train through torchao's fake quantizers";
  std::vector<std::string> spellings;
  for (const auto& p : kDTypes) spellings.push_back(p.first);
  Json props = Json::object();
  props["activation_dtype"] = nullable(enum_schema(spellings));
  props["weight_dtype"] = nullable(enum_schema(spellings));
  props["quantize_embedding"] = nullable(bool_schema());
  props["group_size"] = nullable(int_schema(at_least(1)));
  props["fake_quant_after_n_steps"] = nullable(int_schema(at_least(0)));
  f.schema = Json{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  f.set = read_qat;
  f.get = [](const Config& c) {
    if (!c.qat.enabled) return Json(nullptr);
    const auto& q = c.qat;
    return Json{{"activation_dtype", dtype_json(q.activation_dtype)},
                {"weight_dtype", dtype_json(q.weight_dtype)},
                {"quantize_embedding", q.quantize_embedding},
                {"group_size", q.group_size ? Json(*q.group_size) : Json(nullptr)},
                {"fake_quant_after_n_steps",
                 q.fake_quant_after_n_steps ? Json(*q.fake_quant_after_n_steps) : Json(nullptr)}};
  };
  f.reset = [](Config& c) { c.qat = QatConfig(); };
  return f;
}

void check_qat(const Config& c, State& st) {
  const QatConfig& q = c.qat;
  if (!q.enabled || st.is_bad("training.qat")) return;
  const Location where = st.where("training.qat");
  const std::string pair = dtype_name(q.weight_dtype) + " weights, " + dtype_name(q.activation_dtype) + " activations";
  const std::string why = unsupported_pair(q.weight_dtype, q.activation_dtype);
  if (!why.empty()) {
    st.error(where, "qat", why + " (Axolotl refuses it the same way)", pair,
             "int4 weights with no, int8 or fp8 activations; fp8 weights with fp8 activations; nvfp4 weights with "
             "nvfp4 or no activations; mxfp4",
             q.weight_dtype == QatDType::kInt8 ? "Axolotl's default weight_dtype int8 has no QAT recipe: write weight_dtype: int4"
                                               : "");
  }
  if (q.quantize_embedding && q.weight_dtype == QatDType::kFloat8) {
    st.error(where, "qat.quantize_embedding", "fp8 embeddings have no torchao QAT recipe (Axolotl fails on it)",
             "true with weight_dtype fp8", "quantize_embedding: false, or int4 weights");
  }
  if (q.weight_dtype == QatDType::kNvfp4 && q.group_size && *q.group_size != 16) {
    st.error(where, "qat.group_size", "NVFP4 quantization must use a group_size of 16", std::to_string(*q.group_size), "16");
  }
  if (q.weight_dtype == QatDType::kMxfp4 && q.group_size && *q.group_size != 32) {
    st.error(where, "qat.group_size", "MXFP4 quantization must use a block_size (group_size) of 32",
             std::to_string(*q.group_size), "32");
  }
  const bool fp4 = q.weight_dtype == QatDType::kNvfp4 || q.weight_dtype == QatDType::kMxfp4;
  if (q.quantize_embedding && fp4) {
    st.error(where, "qat.quantize_embedding", dtype_name(q.weight_dtype) + " embeddings have no torchao QAT recipe "
             "(Axolotl fails on it)", "true with weight_dtype " + dtype_name(q.weight_dtype),
             "quantize_embedding: false, or int4 weights");
  }
  if (q.weight_dtype == QatDType::kMxfp4 && q.activation_dtype != QatDType::kMxfp4) {
    st.note(where, "qat.activation_dtype", "mxfp4 weights fake-quantize the activations as mxfp4 too (Axolotl's "
            "recipe does, whatever activation_dtype says); write activation_dtype: mxfp4 to say so");
  }
  if (c.quantization.load_in_8bit || c.quantization.load_in_4bit) {
    st.error(where, "qat", std::string("QAT and ") + (c.quantization.load_in_8bit ? "load_in_8bit" : "load_in_4bit") +
             " cannot be used together", "true", "a bfloat16/float32 base (load_in_8bit: false, load_in_4bit: false)");
  }
  if (q.fake_quant_after_n_steps && *q.fake_quant_after_n_steps == 0) {
    st.note(where, "qat.fake_quant_after_n_steps", "0 keeps fake quantization off for the whole run (Axolotl's "
            "callback turns it off at step 0 and back on only at step N); omit it to fake-quantize from the start");
  }
}

}  // namespace axolotl::config::detail
