// Axolotl's `qat:` map (config/qat_fields.cpp): the examples' settings read in both dialects, dtype
// spellings, the dtype pairs and group sizes Axolotl refuses, 8/4-bit bases, unknown keys, and the
// resolved config reading back.
#include <gtest/gtest.h>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "config_problems.h"

namespace axolotl::config {
namespace {

const char* kBase = "base_model: ./m\nsequence_len: 64\n";

using testing::names;
using testing::problems_of;

std::vector<Diagnostic> problems(const std::string& yaml) { return problems_of(std::string(kBase) + yaml); }

TEST(QatKeys, ExampleSettingsRead) {
  // examples/qwen3/8b-qat-fsdp2.yml
  auto c = load_string(std::string(kBase) + "qat:\n  activation_dtype: int8\n  weight_dtype: int4\n  group_size: 256\n"
                       "  fake_quant_after_n_steps: 1000\n", "t.yml").config;
  EXPECT_TRUE(c.qat.enabled);
  EXPECT_EQ(c.qat.weight_dtype, QatDType::kInt4);
  EXPECT_EQ(c.qat.activation_dtype, QatDType::kInt8);
  EXPECT_EQ(c.qat.group_size, 256);
  EXPECT_EQ(c.qat.fake_quant_after_n_steps, 1000);
  EXPECT_FALSE(c.qat.quantize_embedding);
  auto f = load_string(std::string(kBase) + "qat: {weight_dtype: float8, activation_dtype: fp8}\n", "t.yml").config;
  EXPECT_EQ(f.qat.weight_dtype, QatDType::kFloat8);
  EXPECT_EQ(f.qat.activation_dtype, QatDType::kFloat8);
  EXPECT_EQ(f.qat.group_size, 32);  // Axolotl's default
  auto n = load_string("model: {name: ./m}\ntraining:\n  qat: {weight_dtype: int4, quantize_embedding: true}\n", "t.yml").config;
  EXPECT_TRUE(n.qat.enabled);
  EXPECT_TRUE(n.qat.quantize_embedding);
  EXPECT_FALSE(load_string(kBase, "t.yml").config.qat.enabled);
}

TEST(QatKeys, DumpReadsBack) {
  auto c = load_string(std::string(kBase) + "qat: {weight_dtype: int4, activation_dtype: float8_e4m3fn, group_size: 64}\n",
                       "t.yml").config;
  const std::string yaml = to_yaml(c);
  auto back = load_string(yaml, "back.yml").config;
  EXPECT_EQ(back.qat.weight_dtype, QatDType::kInt4);
  EXPECT_EQ(back.qat.activation_dtype, QatDType::kFloat8);
  EXPECT_EQ(back.qat.group_size, 64);
}

TEST(QatKeys, BadDtypesAndPairsAreRefusedAsAxolotlDoes) {
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int3}\n"), "unknown quantization dtype"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int4, activation_dtype: fp16}\n"), "fp16"));
  EXPECT_TRUE(names(problems("qat: {weight_dtyp: int4}\n"), "did you mean 'weight_dtype'?"));
  EXPECT_TRUE(names(problems("qat: {}\n"), "Int8WeightOnlyConfig"));  // Axolotl's default int8 weights
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int8, activation_dtype: int8}\n"), "Int8DynamicActivationInt8Weight"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int4, activation_dtype: int4}\n"), "Int4DynamicActivationInt4Weight"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: fp8}\n"), "invalid activation/weight dtype combination"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: nvfp4, activation_dtype: nvfp4}\n"), "group_size of 16"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: mxfp4, group_size: 16}\n"), "group_size) of 32"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: nvfp4, activation_dtype: int8, group_size: 16}\n"),
                    "nvfp4 weights go with nvfp4 activations or none"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int4, activation_dtype: mxfp4}\n"), "invalid activation/weight"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: mxfp4, quantize_embedding: true}\n"), "mxfp4 embeddings"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: nvfp4, group_size: 16, quantize_embedding: true}\n"), "nvfp4 embeddings"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: fp8, activation_dtype: fp8, quantize_embedding: true}\n"), "fp8 embeddings"));
  EXPECT_TRUE(names(problems("qat: {weight_dtype: int4, group_size: 0}\n"), "out of range"));
  EXPECT_TRUE(names(problems("qat: int4\n"), "wrong type"));
  EXPECT_TRUE(names(problems("load_in_8bit: true\nqat: {weight_dtype: int4}\n"), "load_in_8bit cannot be used together"));
}

TEST(QatKeys, Fp4RecipesOfTheExamplesLoad) {
  // examples/llama-3/3b-qat-nvfp4.yaml and 3b-qat-mxfp4.yaml; nvfp4 weights alone are accepted too.
  for (const char* yaml : {"qat: {activation_dtype: nvfp4, weight_dtype: nvfp4, group_size: 16}\n",
                           "qat: {activation_dtype: mxfp4, weight_dtype: mxfp4, group_size: 32}\n",
                           "qat: {weight_dtype: nvfp4, group_size: 16}\n"}) {
    const auto r = load_string(std::string(kBase) + yaml, "t.yml");
    EXPECT_TRUE(r.config.qat.enabled) << yaml;
    EXPECT_TRUE(r.notes.empty()) << yaml << r.notes.front().message;
  }
  // mxfp4 weights fake the activations whatever activation_dtype says, as Axolotl's recipe does: a note.
  const auto r = load_string(std::string(kBase) + "qat: {weight_dtype: mxfp4}\n", "t.yml");
  bool noted = false;
  for (const auto& d : r.notes) noted |= d.key == "qat.activation_dtype";
  EXPECT_TRUE(noted);
}

TEST(QatKeys, ZeroStepsIsNoted) {
  auto r = load_string(std::string(kBase) + "qat: {weight_dtype: int4, fake_quant_after_n_steps: 0}\n", "t.yml");
  bool noted = false;
  for (const auto& d : r.notes) noted |= d.key == "qat.fake_quant_after_n_steps";
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace axolotl::config
