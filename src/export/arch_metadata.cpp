// Per-architecture GGUF hyper-parameters (see arch_metadata.h). Sources: llama.cpp convert_hf_to_gguf.py
// TextModel.set_gguf_parameters (qwen2, qwen3 and the first half of gemma3), LlamaModel, Gemma2Model,
// Gemma3Model, Phi3MiniModel (set_gguf_parameters, generate_extra_tensors); gguf-py constants.py Keys;
// src/llama-model.cpp load_hparams for what llama.cpp fixes regardless of the file.
#include "axolotl/export/arch_metadata.h"

#include <cmath>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

using model::LlamaConfig;
using model::RopeType;

Value u32(int64_t v) { return Value::u32(static_cast<uint32_t>(v)); }
Value f32(double v) { return Value::f32(static_cast<float>(v)); }

bool json_has_int(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer();
}

// TextModel.set_gguf_parameters' rope scaling keys: linear (type, factor) and yarn (type, factor,
// original_context_length, then yarn_attn_factor / yarn_beta_fast / yarn_beta_slow when the config names
// them); llama3 and longrope go into tensors or the arch's own keys.
void rope_scaling_keys(const std::string& a, const LlamaConfig& c, GgufWriter& w) {
  const auto& rs = c.rope_scaling;
  if (rs.type == RopeType::kLinear) {
    w.set(a + ".rope.scaling.type", Value::str("linear"));
    w.set(a + ".rope.scaling.factor", f32(rs.factor));
  } else if (rs.type == RopeType::kYarn) {
    w.set(a + ".rope.scaling.type", Value::str("yarn"));
    w.set(a + ".rope.scaling.factor", f32(rs.factor));
    w.set(a + ".rope.scaling.original_context_length", u32(rs.original_max_position_embeddings));
    if (rs.attention_factor) w.set(a + ".rope.scaling.yarn_attn_factor", f32(*rs.attention_factor));
    if (rs.beta_fast) w.set(a + ".rope.scaling.yarn_beta_fast", f32(*rs.beta_fast));
    if (rs.beta_slow) w.set(a + ".rope.scaling.yarn_beta_slow", f32(*rs.beta_slow));
  }
}

// TextModel.set_gguf_parameters: the keys every TextModel writes (qwen2, qwen3; gemma3 starts from it).
void text_model_keys(const std::string& a, const LlamaConfig& c, bool key_value_length, bool rope_swa,
                     FileType ft, GgufWriter& w) {
  w.set(a + ".block_count", u32(c.num_hidden_layers));
  w.set(a + ".context_length", u32(c.max_position_embeddings));
  w.set(a + ".embedding_length", u32(c.hidden_size));
  w.set(a + ".feed_forward_length", u32(c.intermediate_size));
  w.set(a + ".attention.head_count", u32(c.num_attention_heads));
  w.set(a + ".attention.head_count_kv", u32(c.num_key_value_heads));
  rope_scaling_keys(a, c, w);
  w.set(a + ".rope.freq_base", f32(c.rope_theta));
  if (rope_swa) w.set(a + ".rope.freq_base_swa", f32(c.rope_local_theta.value_or(10000.0)));
  w.set(a + ".attention.layer_norm_rms_epsilon", f32(c.rms_norm_eps));
  if (key_value_length) {
    w.set(a + ".attention.key_length", u32(c.head_dim));
    w.set(a + ".attention.value_length", u32(c.head_dim));
  }
  w.set("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
}

void llama_keys(const LlamaConfig& c, const nlohmann::json& j, FileType ft, GgufWriter& w) {
  const std::string a = "llama";
  w.set(a + ".block_count", u32(c.num_hidden_layers));
  w.set(a + ".context_length", u32(c.max_position_embeddings));
  w.set(a + ".embedding_length", u32(c.hidden_size));
  w.set(a + ".feed_forward_length", u32(c.intermediate_size));
  w.set(a + ".attention.head_count", u32(c.num_attention_heads));
  w.set(a + ".attention.head_count_kv", u32(c.num_key_value_heads));
  w.set(a + ".rope.freq_base", f32(c.rope_theta));
  w.set(a + ".attention.layer_norm_rms_epsilon", f32(c.rms_norm_eps));
  if (json_has_int(j, "head_dim")) {
    w.set(a + ".attention.key_length", u32(c.head_dim));
    w.set(a + ".attention.value_length", u32(c.head_dim));
  }
  w.set(a + ".rope.dimension_count", u32(c.head_dim));
  w.set(a + ".vocab_size", u32(c.vocab_size));
  rope_scaling_keys(a, c, w);
  w.set("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
}

// Gemma2Model.set_gguf_parameters (no rope keys: llama.cpp runs its default freq_base 10000).
void gemma2_keys(const LlamaConfig& c, FileType ft, GgufWriter& w) {
  const std::string a = "gemma2";
  w.set(a + ".context_length", u32(c.max_position_embeddings));
  w.set(a + ".embedding_length", u32(c.hidden_size));
  w.set(a + ".block_count", u32(c.num_hidden_layers));
  w.set(a + ".feed_forward_length", u32(c.intermediate_size));
  w.set(a + ".attention.head_count", u32(c.num_attention_heads));
  w.set(a + ".attention.head_count_kv", u32(c.num_key_value_heads));
  w.set(a + ".attention.layer_norm_rms_epsilon", f32(c.rms_norm_eps));
  w.set(a + ".attention.key_length", u32(c.head_dim));
  w.set(a + ".attention.value_length", u32(c.head_dim));
  w.set("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
  if (c.attn_logit_softcapping) w.set(a + ".attn_logit_softcapping", f32(*c.attn_logit_softcapping));
  if (c.final_logit_softcapping) w.set(a + ".final_logit_softcapping", f32(*c.final_logit_softcapping));
  w.set(a + ".attention.sliding_window", u32(c.sliding_window.value_or(4096)));
}

// Gemma3Model: TextModel's keys (the overrides it sets again keep their first position, as gguf-py's
// dict does), then the final softcap when set and the window unless sliding_window_pattern is 1.
void gemma3_keys(const LlamaConfig& c, const nlohmann::json& j, FileType ft, GgufWriter& w) {
  const std::string a = "gemma3";
  text_model_keys(a, c, true, true, ft, w);
  if (c.final_logit_softcapping && *c.final_logit_softcapping != 0) {
    w.set(a + ".final_logit_softcapping", f32(*c.final_logit_softcapping));
  }
  const bool pattern_one = json_has_int(j, "sliding_window_pattern") && j["sliding_window_pattern"].get<int64_t>() == 1;
  if (!pattern_one) w.set(a + ".attention.sliding_window", u32(c.sliding_window.value_or(4096)));
}

int64_t phi3_rope_dims(const LlamaConfig& c) {
  return static_cast<int64_t>(c.partial_rotary_factor * static_cast<double>(c.hidden_size)) / c.num_attention_heads;
}

// Phi3MiniModel.set_gguf_parameters, plus generate_extra_tensors' attn_factor for LongRoPE.
void phi3_keys(const LlamaConfig& c, FileType ft, GgufWriter& w) {
  const std::string a = "phi3";
  const int64_t orig_ctx = c.original_max_position_embeddings.value_or(
      c.rope_scaling.type == RopeType::kLongRope ? c.rope_scaling.original_max_position_embeddings
                                                 : c.max_position_embeddings);
  w.set(a + ".context_length", u32(c.max_position_embeddings));
  w.set(a + ".rope.scaling.original_context_length", u32(orig_ctx));
  w.set(a + ".embedding_length", u32(c.hidden_size));
  w.set(a + ".feed_forward_length", u32(c.intermediate_size));
  w.set(a + ".block_count", u32(c.num_hidden_layers));
  w.set(a + ".attention.head_count", u32(c.num_attention_heads));
  w.set(a + ".attention.head_count_kv", u32(c.num_key_value_heads));
  w.set(a + ".attention.layer_norm_rms_epsilon", f32(c.rms_norm_eps));
  w.set(a + ".rope.dimension_count", u32(phi3_rope_dims(c)));
  w.set(a + ".rope.freq_base", f32(c.rope_theta));
  w.set("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
  w.set(a + ".attention.sliding_window", u32(c.sliding_window.value_or(0)));  // 0 = none (Phi-4 style)
  if (c.rope_scaling.type == RopeType::kLongRope && !c.rope_scaling.long_factor.empty()) {
    const double scale = static_cast<double>(c.max_position_embeddings) / static_cast<double>(orig_ctx);
    const double attn = scale > 1.0 ? std::sqrt(1 + std::log(scale) / std::log(static_cast<double>(orig_ctx))) : 1.0;
    w.set(a + ".rope.scaling.attn_factor", f32(attn));
  }
}

// convert_hf_to_gguf LlamaModel.generate_extra_tensors: the llama3 rope factors per frequency.
std::vector<float> llama3_rope_factors(const LlamaConfig& c) {
  const auto& rs = c.rope_scaling;
  const double old_ctx = static_cast<double>(rs.original_max_position_embeddings);
  const double low_wavelen = old_ctx / rs.low_freq_factor, high_wavelen = old_ctx / rs.high_freq_factor;
  std::vector<float> out;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    const double freq = 1.0 / std::pow(c.rope_theta, static_cast<double>(i) / static_cast<double>(c.head_dim));
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.f);
    } else if (wavelen > low_wavelen) {
      out.push_back(static_cast<float>(rs.factor));
    } else {
      const double smooth = (old_ctx / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
      out.push_back(static_cast<float>(1.0 / ((1 - smooth) / rs.factor + smooth)));
    }
  }
  return out;
}

TensorEntry f32_vector(const std::string& name, std::vector<float> values) {
  auto data = std::make_shared<std::vector<float>>(std::move(values));
  return TensorEntry{name, {static_cast<int64_t>(data->size())}, GgmlType::kF32,
                     [data](uint8_t* dst) { std::memcpy(dst, data->data(), data->size() * 4); }};
}

}  // namespace

std::vector<std::string> write_arch_metadata(const ArchTraits& arch, const LlamaConfig& c,
                                             const nlohmann::json& j, FileType ft, GgufWriter& w) {
  const std::string a = arch.name;
  std::vector<std::string> notes;
  if (a == "llama") {
    llama_keys(c, j, ft, w);
  } else if (a == "qwen2" || a == "qwen3") {
    text_model_keys(a, c, a == "qwen3" || json_has_int(j, "head_dim"), false, ft, w);
    if (c.use_sliding_window && c.sliding_window) {
      notes.push_back("use_sliding_window is set, but llama.cpp's " + a + " attends to the full context");
    }
  } else if (a == "gemma2") {
    gemma2_keys(c, ft, w);
    if (c.rope_theta != 10000.0) {
      notes.push_back("rope_theta " + std::to_string(c.rope_theta) + ": the gemma2 converter writes no rope.freq_base, "
                      "so llama.cpp runs 10000");
    }
  } else if (a == "gemma3") {
    gemma3_keys(c, j, ft, w);
  } else if (a == "phi3") {
    phi3_keys(c, ft, w);
  } else {
    throw Error(Diagnostic{{}, "architecture", "no GGUF metadata writer", a, "llama, qwen2, qwen3, gemma2, gemma3, phi3", {}});
  }
  if (a == "gemma2" || a == "gemma3") {
    // llama.cpp computes the attention scale from head_dim (not query_pre_attn_scalar) and fixes the
    // sliding-window layer pattern (every 2nd layer global for gemma2, every 6th for gemma3).
    if (c.query_pre_attn_scalar && *c.query_pre_attn_scalar != static_cast<double>(c.head_dim)) {
      notes.push_back("query_pre_attn_scalar " + std::to_string(*c.query_pre_attn_scalar) +
                      " != head_dim: llama.cpp scales attention by head_dim^-0.5 (except its 27B sizes)");
    }
    const int64_t period = a == "gemma2" ? 2 : 6;
    for (int64_t l = 0; c.sliding_window && l < c.num_hidden_layers; ++l) {
      const bool llama_cpp_sliding = a == "gemma2" ? l % 2 == 0 : (l + 1) % period != 0;
      if (c.layer_is_sliding(l) != llama_cpp_sliding) {
        notes.push_back("layer " + std::to_string(l) + " sliding-window use differs from llama.cpp's fixed " + a +
                        " pattern (one global layer in " + std::to_string(period) + ")");
        break;
      }
    }
  }
  return notes;
}

std::vector<TensorEntry> arch_extra_tensors(const ArchTraits& arch, const LlamaConfig& c) {
  std::vector<TensorEntry> out;
  const std::string a = arch.name;
  if (a == "llama" && c.rope_scaling.type == RopeType::kLlama3) out.push_back(f32_vector("rope_freqs.weight", llama3_rope_factors(c)));
  if (a == "phi3" && c.rope_scaling.type == RopeType::kLongRope && !c.rope_scaling.long_factor.empty()) {
    const auto& lf = c.rope_scaling.long_factor;
    const auto& sf = c.rope_scaling.short_factor;
    const auto want = static_cast<size_t>(phi3_rope_dims(c) / 2);
    if (lf.size() != want || sf.size() != want) {
      throw ConfigError({Diagnostic{{}, "rope_scaling.long_factor", "LongRoPE factor lists have the wrong length",
                                   std::to_string(lf.size()) + " long, " + std::to_string(sf.size()) + " short",
                                   std::to_string(want) + " each (rotary dims / 2)", {}}});
    }
    out.push_back(f32_vector("rope_factors_long.weight", std::vector<float>(lf.begin(), lf.end())));
    out.push_back(f32_vector("rope_factors_short.weight", std::vector<float>(sf.begin(), sf.end())));
  }
  return out;
}

}  // namespace axolotl::gguf
