// config.json of each family -> LlamaConfig traits (FORMATS2.md §5): Qwen2.5's ignored sliding window,
// Qwen3 head_dim, Gemma-2/3 defaults and layer patterns (rule and layer_types), v5 per-layer-type
// rope_parameters, Phi-3 LongRoPE, YaRN's defaults, refusals naming the architecture, and the JSON round trip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "axolotl/model/family.h"
#include "axolotl/model/llama_config.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
using nlohmann::json;

json base(const char* arch) {
  return json{{"architectures", {arch}}, {"hidden_size", 32}, {"num_attention_heads", 4},
              {"num_key_value_heads", 2}, {"num_hidden_layers", 6}, {"intermediate_size", 64}};
}

std::string refusal(const char* arch) {
  try {
    parse_llama_config(base(arch), "m/config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(FamilyConfig, Qwen25IgnoresItsSlidingWindowUnlessEnabled) {
  auto j = base("Qwen2ForCausalLM");
  j["sliding_window"] = 32768;
  j["use_sliding_window"] = false;
  j["max_window_layers"] = 21;
  j["tie_word_embeddings"] = true;
  auto c = parse_llama_config(j, "x");
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.sliding_window);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  j["use_sliding_window"] = true;
  j["max_window_layers"] = 4;
  c = parse_llama_config(j, "x");
  ASSERT_TRUE(c.sliding_window);
  EXPECT_FALSE(c.layer_is_sliding(3));
  EXPECT_TRUE(c.layer_is_sliding(4));
  EXPECT_EQ(family_label(c), "Qwen2/2.5 (Qwen2ForCausalLM)");
}

TEST(FamilyConfig, Qwen3HeadDimDefaultAndModelTypeOnly) {
  json j{{"model_type", "qwen3"}, {"hidden_size", 32}, {"num_attention_heads", 4}, {"num_key_value_heads", 2}};
  auto c = parse_llama_config(j, "x");
  EXPECT_EQ(c.architecture, "Qwen3ForCausalLM");
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
}

TEST(FamilyConfig, Gemma2DefaultsAndAlternatingLayers) {
  auto c = parse_llama_config(base("Gemma2ForCausalLM"), "x");
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.hidden_act, "gelu_pytorch_tanh");
  EXPECT_TRUE(c.norm_unit_offset && c.embed_scale && c.sandwich_norms && c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(*c.query_pre_attn_scalar, 256.0);
  EXPECT_DOUBLE_EQ(*c.attn_logit_softcapping, 50.0);
  EXPECT_DOUBLE_EQ(*c.final_logit_softcapping, 30.0);
  EXPECT_EQ(*c.sliding_window, 4096);
  EXPECT_EQ(c.sliding_layers, (std::vector<bool>{true, false, true, false, true, false}));
}

TEST(FamilyConfig, Gemma3PatternLayerTypesAndV5RopeParameters) {
  auto j = base("Gemma3ForCausalLM");
  auto c = parse_llama_config(j, "x");
  EXPECT_FALSE(c.attn_logit_softcapping);
  EXPECT_FALSE(c.final_logit_softcapping);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(*c.rope_local_theta, 1e4);
  EXPECT_EQ(c.sliding_layers, (std::vector<bool>{true, true, true, true, true, false}));
  j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention",
                      "full_attention", "full_attention", "sliding_attention"};
  j["rope_parameters"] = {{"full_attention", {{"rope_type", "linear"}, {"factor", 8.0}, {"rope_theta", 2e6}}},
                          {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 5e3}}}};
  c = parse_llama_config(j, "x");
  EXPECT_EQ(c.sliding_layers, (std::vector<bool>{true, false, true, false, false, true}));
  EXPECT_EQ(c.rope_scaling.type, RopeType::kLinear);
  EXPECT_DOUBLE_EQ(c.rope_theta, 2e6);
  EXPECT_DOUBLE_EQ(*c.rope_local_theta, 5e3);
  j["layer_types"] = {"sliding_attention"};
  EXPECT_THROW(parse_llama_config(j, "x"), ConfigError);
}

TEST(FamilyConfig, Phi3FusedPartialRotaryAndLongRope) {
  auto j = base("Phi3ForCausalLM");
  j["partial_rotary_factor"] = 0.5;
  j["original_max_position_embeddings"] = 4096;
  j["max_position_embeddings"] = 131072;
  j["rope_scaling"] = {{"type", "longrope"}, {"short_factor", {1.0, 1.0}}, {"long_factor", {2.0, 3.0}}};
  auto c = parse_llama_config(j, "x");
  EXPECT_TRUE(c.fused_qkv && c.fused_gate_up);
  EXPECT_EQ(c.rotary_dim(), 4);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kLongRope);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(linear_module_names(c), (std::vector<std::string>{"qkv_proj", "o_proj", "gate_up_proj", "down_proj"}));
  j["rope_scaling"]["long_factor"] = {2.0};
  EXPECT_THROW(parse_llama_config(j, "x"), ConfigError);
}

// YaRN as transformers v5 reads it (RotaryEmbeddingConfigMixin.standardize_rope_params and
// _validate_yarn_rope_parameters): original_max_position_embeddings from the top level, the rope dict or
// max_position_embeddings; factor required, null -> max / original; the optional keys kept as given.
TEST(FamilyConfig, YarnDefaultsAndRequiredKeys) {
  auto j = base("Qwen3ForCausalLM");
  j["max_position_embeddings"] = 40960;
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  auto c = parse_llama_config(j, "x");
  EXPECT_EQ(c.rope_scaling.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 4.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 32768);
  EXPECT_FALSE(c.rope_scaling.attention_factor || c.rope_scaling.beta_fast || c.rope_scaling.truncate);
  j["rope_scaling"] = {{"type", "yarn"}, {"factor", 2.0}};  // legacy key, no original: max_position_embeddings
  EXPECT_EQ(parse_llama_config(j, "x").rope_scaling.original_max_position_embeddings, 40960);
  j["original_max_position_embeddings"] = 8192;  // a top-level key wins (v5 standardize_rope_params)
  j["rope_scaling"]["original_max_position_embeddings"] = 4096;
  EXPECT_EQ(parse_llama_config(j, "x").rope_scaling.original_max_position_embeddings, 8192);
  j.erase("original_max_position_embeddings");
  j["rope_scaling"]["factor"] = nullptr;  // _compute_yarn_parameters: max_position_embeddings / original
  EXPECT_DOUBLE_EQ(parse_llama_config(j, "x").rope_scaling.factor, 10.0);
  j.erase("rope_scaling");
  j["rope_parameters"] = {{"rope_type", "yarn"}, {"rope_theta", 1e6}, {"factor", 4.0}, {"beta_fast", 16},
                          {"beta_slow", 2}, {"mscale", 1.0}, {"mscale_all_dim", 0.5}, {"truncate", false},
                          {"attention_factor", 1.25}};
  c = parse_llama_config(j, "x");
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 40960);
  EXPECT_EQ(c.rope_scaling.beta_fast.value_or(0), 16.0);
  EXPECT_EQ(c.rope_scaling.beta_slow.value_or(0), 2.0);
  EXPECT_EQ(c.rope_scaling.mscale_all_dim.value_or(0), 0.5);
  EXPECT_EQ(c.rope_scaling.truncate.value_or(true), false);
  EXPECT_EQ(c.rope_scaling.attention_factor.value_or(0), 1.25);
  auto error = [&](const json& rope) {
    auto bad = base("Qwen2ForCausalLM");
    bad["rope_scaling"] = rope;
    try {
      parse_llama_config(bad, "m/config.json");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error({{"rope_type", "yarn"}}).find("rope_scaling.factor: required for rope_type yarn"), std::string::npos);
  EXPECT_NE(error({{"rope_type", "yarn"}, {"factor", 4.0}, {"truncate", "no"}}).find("rope_scaling.truncate"),
            std::string::npos);
  EXPECT_NE(error({{"rope_type", "yarn"}, {"factor", 4.0}, {"beta_fast", "x"}}).find("rope_scaling.beta_fast"),
            std::string::npos);
  EXPECT_NE(error({{"rope_type", "yarn"}, {"factor", 0.5}}).find("rope_scaling.factor: must be >= 1"),
            std::string::npos);
  EXPECT_NE(error({{"rope_type", "ntk"}}).find("longrope or yarn"), std::string::npos);
}

// Sparse configs (e.g. a Gemma-3 text_config) rely on the HF class defaults, kv heads and tokens included.
TEST(FamilyConfig, SparseConfigsTakeTheFamilyDefaults) {
  auto g = parse_llama_config(json{{"architectures", {"Gemma3ForCausalLM"}}, {"hidden_size", 2560}}, "x");
  EXPECT_EQ(g.num_attention_heads, 8);
  EXPECT_EQ(g.num_key_value_heads, 4);
  EXPECT_EQ(g.head_dim, 256);
  EXPECT_EQ(g.vocab_size, 262208);
  EXPECT_EQ(g.max_position_embeddings, 131072);
  EXPECT_EQ(g.bos_token_id, 2);
  EXPECT_EQ(g.eos_token_ids, std::vector<int64_t>{1});
  EXPECT_EQ(g.pad_token_id, 0);
  auto p = parse_llama_config(json{{"architectures", {"Phi3ForCausalLM"}}, {"num_attention_heads", 24}}, "x");
  EXPECT_EQ(p.num_key_value_heads, 24);
  EXPECT_EQ(p.vocab_size, 32064);
  EXPECT_EQ(p.head_dim, 3072 / 24);
  auto l = parse_llama_config(json{{"architectures", {"LlamaForCausalLM"}}}, "x");
  EXPECT_EQ(l.vocab_size, 32000);  // LLaMA keeps its own defaults
  EXPECT_EQ(l.num_key_value_heads, 32);
}

TEST(FamilyConfig, OtherArchitecturesAreRefusedByName) {
  for (const auto& [arch, what] : std::vector<std::pair<const char*, const char*>>{
           {"MixtralForCausalLM", "Mixtral"}, {"Qwen3MoeForCausalLM", "Qwen3-MoE"}, {"FalconForCausalLM", "Falcon"},
           {"PhiForCausalLM", "Phi-1/Phi-2"}, {"MambaForCausalLM", "Mamba"},
           {"Qwen2VLForConditionalGeneration", "multimodal"}, {"SomethingNewForCausalLM", "not a known"}}) {
    const auto msg = refusal(arch);
    EXPECT_NE(msg.find(arch), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_NE(msg.find("Qwen3ForCausalLM"), std::string::npos) << msg;  // the accepted list
  }
}

// Gemma3ForConditionalGeneration (configuration_gemma3.py): the text tower is text_config, sparse as in
// google/gemma-3-4b-it (Gemma3TextConfig defaults fill it); the top level's token ids and dtype win.
TEST(FamilyConfig, Gemma3MultimodalIsItsTextTower) {
  const json j = {{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"},
                  {"eos_token_id", {1, 106}}, {"torch_dtype", "bfloat16"}, {"image_token_index", 262144},
                  {"text_config", {{"hidden_size", 2560}, {"intermediate_size", 10240}, {"model_type", "gemma3_text"},
                                   {"num_hidden_layers", 34}, {"rope_scaling", {{"factor", 8.0}, {"rope_type", "linear"}}},
                                   {"sliding_window", 1024}}},
                  {"vision_config", {{"model_type", "siglip_vision_model"}, {"hidden_size", 1152}}}};
  const auto c = parse_llama_config(j, "config.json");
  EXPECT_EQ(c.architecture, "Gemma3ForCausalLM");
  EXPECT_EQ(c.wrapper_architecture, "Gemma3ForConditionalGeneration");
  EXPECT_EQ(c.vocab_size, 262208);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.num_hidden_layers, 34);
  EXPECT_EQ(c.sliding_window, 1024);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.rope_scaling.type, RopeType::kLinear);
  EXPECT_FALSE(c.layer_is_sliding(5));  // every 6th layer global
  EXPECT_TRUE(c.layer_is_sliding(4));
  EXPECT_NE(family_label(c).find("text tower of Gemma3ForConditionalGeneration"), std::string::npos);
  EXPECT_EQ(peft_name(c, "model.layers.3.mlp.up_proj"), "model.language_model.layers.3.mlp.up_proj");
  EXPECT_EQ(tower_name("lm_head.weight", TowerLayout::kLegacy), "language_model.lm_head.weight");
  EXPECT_EQ(causal_lm_name("language_model.model.norm.weight"), "model.norm.weight");
  EXPECT_EQ(causal_lm_name("model.language_model.norm.weight"), "model.norm.weight");
  EXPECT_TRUE(outside_text_tower("model.vision_tower.vision_model.post_layernorm.weight"));
  EXPECT_FALSE(outside_text_tower("model.language_model.norm.weight"));
  try {
    parse_llama_config(json{{"architectures", {"Gemma3ForConditionalGeneration"}}}, "config.json");
    FAIL() << "no text_config accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("text_config"), std::string::npos) << e.what();
  }
}

TEST(FamilyConfig, JsonRoundTripKeepsTraits) {
  for (const char* arch : {"Qwen2ForCausalLM", "Qwen3ForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM",
                           "Phi3ForCausalLM"}) {
    auto j = base(arch);
    j["head_dim"] = 8;
    if (std::string(arch) == "Phi3ForCausalLM") {
      j["partial_rotary_factor"] = 0.5;
      j["original_max_position_embeddings"] = 16;
      j["rope_scaling"] = {{"type", "longrope"}, {"short_factor", {1.0, 1.0}}, {"long_factor", {2.0, 3.0}}};
    }
    if (std::string(arch) == "Qwen2ForCausalLM") {
      j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}, {"beta_fast", 16.0}, {"mscale", 0.5},
                           {"mscale_all_dim", 1.0}, {"truncate", false}};
    }
    if (std::string(arch) == "Qwen3ForCausalLM") {
      j["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 2.0}, {"original_max_position_embeddings", 64},
                              {"attention_factor", 1.5}, {"beta_slow", 2.0}};
    }
    const auto c = parse_llama_config(j, "x");
    const auto back = parse_llama_config(json::parse(llama_config_json(c)), "y");
    const auto& rs = c.rope_scaling;
    const auto& brs = back.rope_scaling;
    EXPECT_EQ(brs.type, rs.type) << arch;
    EXPECT_EQ(brs.factor, rs.factor) << arch;
    EXPECT_EQ(brs.original_max_position_embeddings, rs.original_max_position_embeddings) << arch;
    EXPECT_EQ(brs.attention_factor, rs.attention_factor) << arch;
    EXPECT_EQ(brs.beta_fast, rs.beta_fast) << arch;
    EXPECT_EQ(brs.beta_slow, rs.beta_slow) << arch;
    EXPECT_EQ(brs.mscale, rs.mscale) << arch;
    EXPECT_EQ(brs.mscale_all_dim, rs.mscale_all_dim) << arch;
    EXPECT_EQ(brs.truncate, rs.truncate) << arch;
    EXPECT_EQ(back.architecture, c.architecture);
    EXPECT_EQ(back.model_type, c.model_type);
    EXPECT_EQ(back.sliding_layers, c.sliding_layers) << arch;
    EXPECT_EQ(back.sliding_window, c.sliding_window) << arch;
    EXPECT_EQ(back.query_pre_attn_scalar, c.query_pre_attn_scalar) << arch;
    EXPECT_EQ(back.final_logit_softcapping, c.final_logit_softcapping) << arch;
    EXPECT_EQ(back.rope_local_theta, c.rope_local_theta) << arch;
    EXPECT_EQ(back.rotary_dim(), c.rotary_dim()) << arch;
    EXPECT_EQ(back.rope_scaling.long_factor, c.rope_scaling.long_factor) << arch;
    EXPECT_EQ(back.tie_word_embeddings, c.tie_word_embeddings) << arch;
  }
}

}  // namespace
}  // namespace axolotl::model
