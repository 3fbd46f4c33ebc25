// Derived values: precision, padding defaults, LoRA targets, effective batch size; presets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "axolotl/config/dump.h"
#include "axolotl/config/loader.h"
#include "axolotl/config/presets.h"
#include "axolotl/config/resolve.h"

namespace axolotl::config {

TEST(Resolve, CpuinfoFlags) {
  EXPECT_TRUE(cpuinfo_has_bf16("processor : 0\nflags\t\t: fpu sse avx512f avx512_bf16 amx_tile\n"));
  EXPECT_TRUE(cpuinfo_has_bf16("flags : fpu amx_bf16\n"));
  EXPECT_FALSE(cpuinfo_has_bf16("flags : fpu avx512f avx512_bf16x\nmodel name : avx512_bf16\n"));
  EXPECT_FALSE(cpuinfo_has_bf16(""));
}

TEST(Resolve, PrecisionAuto) {
  Config c;
  resolve(c, false);
  EXPECT_EQ(c.training.precision, Precision::kFloat32);
  EXPECT_EQ(c.model.dtype, DType::kFloat32);
  EXPECT_FALSE(c.training.mixed_precision_bf16);
  Config d;
  resolve(d, true);
  EXPECT_EQ(d.training.precision, Precision::kBFloat16);
  EXPECT_EQ(d.model.dtype, DType::kBFloat16);
  EXPECT_TRUE(d.training.mixed_precision_bf16);
}

TEST(Resolve, FlatPrecisionKeys) {
  auto fp16 = load_string("base_model: x\nbf16: false\nfp16: true\n", "p.yml");
  EXPECT_EQ(fp16.config.training.precision, Precision::kFloat16);
  EXPECT_TRUE(fp16.config.training.mixed_precision_fp16);
  auto fp32 = load_string("base_model: x\nbf16: false\n", "p.yml");
  EXPECT_EQ(fp32.config.training.precision, Precision::kFloat32);
  auto bf16 = load_string("base_model: x\nbf16: true\nfloat16: true\n", "p.yml");
  EXPECT_EQ(bf16.config.training.precision, Precision::kBFloat16);
  EXPECT_EQ(bf16.config.model.dtype, DType::kFloat16);
}

TEST(Resolve, PackingDefaultsAndTargets) {
  auto r = load_string("base_model: x\nsample_packing: true\nadapter: lora\n", "r.yml");
  EXPECT_EQ(r.config.data.pad_to_sequence_len, std::optional<bool>(true));
  EXPECT_EQ(r.config.data.eval_sample_packing, std::optional<bool>(true));
  EXPECT_EQ(r.config.adapter.target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
  auto s = load_string("base_model: x\nsample_packing: true\npad_to_sequence_len: false\n", "r.yml");
  EXPECT_EQ(s.config.data.pad_to_sequence_len, std::optional<bool>(false));
  auto t = load_string("base_model: x\nadapter: lora\nlora_target_linear: true\n", "r.yml");
  EXPECT_EQ(t.config.adapter.target_modules.size(), 7u);
}

TEST(Resolve, EffectiveBatchUsesWorldSize) {
  TrainingConfig t;
  t.micro_batch_size = 3;
  t.gradient_accumulation_steps = 5;
  ::unsetenv("WORLD_SIZE");
  EXPECT_EQ(effective_batch_size(t), 15);
  ::setenv("WORLD_SIZE", "4", 1);
  EXPECT_EQ(effective_batch_size(t), 60);
  ::setenv("WORLD_SIZE", "nonsense", 1);
  EXPECT_EQ(effective_batch_size(t), 15);
  ::unsetenv("WORLD_SIZE");
}

TEST(Presets, EveryPresetValidatesInBothAdapterModes) {
  auto names = preset_names();
  for (const char* want : {"tiny", "llama-2-7b", "llama-3-8b", "mistral-7b", "tinyllama-1.1b"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const auto& n : names) {
    auto lora = load_string(preset_text(n, false), n);
    EXPECT_EQ(lora.config.adapter.type, AdapterType::kLora) << n;
    auto qlora = load_string(preset_text(n, true), n);
    EXPECT_EQ(qlora.config.adapter.type, AdapterType::kQlora) << n;
    EXPECT_TRUE(qlora.config.quantization.load_in_4bit) << n;
  }
  auto tiny = load_string(preset_text("tiny", false), "tiny");
  EXPECT_EQ(tiny.config.model.name, "./outputs/tiny-model");
  EXPECT_EQ(tiny.config.data.datasets.at(0).path, "examples/tiny/data.jsonl");
  EXPECT_THROW(preset_text("llama-9", false), UsageError);
}

}  // namespace axolotl::config
