// config.json -> LlamaConfig: defaults, GQA/head_dim, rope scaling dialects, refusals naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "axolotl/model/llama_config.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
using nlohmann::json;

std::string config_error(const json& j) {
  try {
    parse_llama_config(j, "cfg/config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LlamaConfig, DefaultsAndDerivedFields) {
  auto c = parse_llama_config(json{{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 64},
                                   {"num_attention_heads", 8}, {"num_key_value_heads", nullptr}},
                              "x");
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.vocab_size, 32000);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kDefault);
}

TEST(LlamaConfig, ExplicitHeadDimGqaEosListAndDtype) {
  auto c = parse_llama_config(json{{"hidden_size", 32}, {"num_attention_heads", 4}, {"num_key_value_heads", 1},
                                   {"head_dim", 16}, {"eos_token_id", {2, 3}}, {"dtype", "bfloat16"},
                                   {"pad_token_id", 0}},
                              "x");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.n_rep(), 4);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.pad_token_id, 0);
}

TEST(LlamaConfig, RopeScalingV4AndV5) {
  auto v4 = parse_llama_config(json{{"rope_theta", 500000.0},
                                    {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                                                      {"high_freq_factor", 4.0},
                                                      {"original_max_position_embeddings", 8192}}}},
                               "x");
  EXPECT_EQ(v4.rope_scaling.type, RopeType::kLlama3);
  EXPECT_DOUBLE_EQ(v4.rope_scaling.factor, 8.0);
  EXPECT_DOUBLE_EQ(v4.rope_theta, 500000.0);
  auto legacy = parse_llama_config(json{{"rope_scaling", {{"type", "linear"}, {"factor", 2.0}}}}, "x");
  EXPECT_EQ(legacy.rope_scaling.type, RopeType::kLinear);
  auto v5 = parse_llama_config(json{{"rope_parameters", {{"rope_type", "dynamic"}, {"factor", 2.0}, {"rope_theta", 1e6}}}},
                               "x");
  EXPECT_EQ(v5.rope_scaling.type, RopeType::kDynamic);
  EXPECT_DOUBLE_EQ(v5.rope_theta, 1e6);
}

TEST(LlamaConfig, MistralSlidingWindow) {
  auto c = parse_llama_config(json{{"architectures", {"MistralForCausalLM"}}, {"sliding_window", 4096}}, "x");
  EXPECT_EQ(c.architecture, "MistralForCausalLM");
  EXPECT_EQ(c.sliding_window, 4096);
  auto none = parse_llama_config(json{{"architectures", {"MistralForCausalLM"}}, {"sliding_window", nullptr}}, "x");
  EXPECT_FALSE(none.sliding_window.has_value());
  auto absent = parse_llama_config(json{{"architectures", {"MistralForCausalLM"}}}, "x");
  EXPECT_EQ(absent.sliding_window, 4096);  // MistralConfig's default
}

TEST(LlamaConfig, RefusalsNameFileAndKeyAllAtOnce) {
  const auto what = config_error(json{{"architectures", {"GPT2LMHeadModel"}},
                                      {"num_attention_heads", 8},
                                      {"num_key_value_heads", 3},
                                      {"rope_scaling", {{"rope_type", "ntk"}, {"factor", 4.0}}},
                                      {"hidden_size", "big"}});
  EXPECT_NE(what.find("cfg/config.json"), std::string::npos) << what;
  EXPECT_NE(what.find("architectures: unsupported architecture (found GPT2LMHeadModel"), std::string::npos) << what;
  EXPECT_NE(what.find("num_key_value_heads"), std::string::npos) << what;
  EXPECT_NE(what.find("rope_scaling.rope_type"), std::string::npos) << what;
  EXPECT_NE(what.find("hidden_size: must be an integer"), std::string::npos) << what;
  EXPECT_NE(config_error(json{{"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}})
                .find("rope_scaling.original_max_position_embeddings"),
            std::string::npos);
}

TEST(LlamaConfig, JsonRoundTripAndFileErrors) {
  LlamaConfig c;
  c.vocab_size = 100;
  c.tie_word_embeddings = true;
  c.eos_token_ids = {2, 5};
  c.rope_scaling.type = RopeType::kLinear;
  c.rope_scaling.factor = 2.0;
  testing::TempDir dir;
  testing::write_file(dir / "config.json", llama_config_json(c));
  EXPECT_EQ(nlohmann::json::parse(llama_config_json(c)).value("transformers_version", ""), "5.14.1");
  auto back = load_llama_config(dir.path().string());
  EXPECT_EQ(back.vocab_size, 100);
  EXPECT_TRUE(back.tie_word_embeddings);
  EXPECT_EQ(back.eos_token_ids, c.eos_token_ids);
  EXPECT_EQ(back.rope_scaling.type, RopeType::kLinear);
  testing::write_file(dir / "bad.json", "{not json");
  EXPECT_THROW(load_llama_config((dir / "bad.json").string()), ConfigError);
  EXPECT_THROW(load_llama_config((dir / "absent").string()), IoError);
}

}  // namespace
}  // namespace axolotl::model

namespace axolotl::model {
namespace {

// Values that parse as numbers but would give a silently broken model.
TEST(LlamaConfig, NonPositiveEpsilonAndRopeBaseAreErrors) {
  EXPECT_NE(config_error(json{{"rms_norm_eps", 0.0}}).find("rms_norm_eps: must be a positive number"), std::string::npos);
  EXPECT_NE(config_error(json{{"rms_norm_eps", -1e-6}}).find("rms_norm_eps"), std::string::npos);
  EXPECT_NE(config_error(json{{"rope_theta", 0}}).find("rope_theta: must be a positive number"), std::string::npos);
  EXPECT_NE(config_error(json{{"rope_theta", -10000.0}}).find("cfg/config.json"), std::string::npos);
  EXPECT_EQ(config_error(json{{"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0}}), "");
}

}  // namespace
}  // namespace axolotl::model
