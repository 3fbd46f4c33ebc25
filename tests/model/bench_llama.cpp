// Throughput of the LibTorch LLaMA (label slow): forward tokens/s on stories260K and the tiny model
// (float32 and bfloat16) and KV-cache generation tokens/s. Prints numbers; asserts only sanity.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "axolotl/model/generator.h"
#include "axolotl/model/runtime.h"
#include "axolotl/model/tiny_model.h"
#include "axolotl/model/weight_loader.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void bench(const std::string& label, LlamaForCausalLMImpl& m) {
  torch::NoGradGuard no_grad;
  const int64_t b = 4, t = 256;
  auto ids = torch::randint(3, m.config().vocab_size, {b, t}, torch::kInt64);  // (B, T)
  m.forward(ids);  // warm-up
  const int reps = 3;
  auto start = std::chrono::steady_clock::now();
  torch::Tensor logits;
  for (int i = 0; i < reps; ++i) logits = m.forward(ids);  // (B, T, V)
  const double fwd = static_cast<double>(reps * b * t) / seconds_since(start);
  EXPECT_FALSE(logits.isnan().any().item<bool>());
  GenerationOptions o;
  o.max_new_tokens = 200;
  o.eos_ids = {-1};
  auto r = generate(m, {1, 5, 9}, o);
  const double gen = static_cast<double>(r.tokens.size() - 1) / r.decode_seconds;
  std::printf("[bench] %-38s forward %9.0f tokens/s (B=%lld T=%lld)  generate %7.1f tokens/s (KV cache)\n",
              label.c_str(), fwd, static_cast<long long>(b), static_cast<long long>(t), gen);
  EXPECT_GT(fwd, 0);
  EXPECT_GT(gen, 0);
}

// Each case at 1 intra-op thread and at all cores (the engine's default).
std::string with_threads(const std::string& name, int threads) {
  set_threads(threads);
  return name + " threads=" + std::to_string(torch::get_num_threads());
}

TEST(Bench, Stories260K) {
  AXOLOTL_REQUIRE_SHARED();
  const auto folder = testing::shared_dir() / "models" / "stories260K";
  for (int threads : {1, 0}) {
    for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      LlamaForCausalLM m(load_llama_config(folder.string()), torch::TensorOptions().dtype(dtype));
      load_weights(*m, folder.string());
      m->eval();
      bench(with_threads(std::string("stories260K ") + dtype_name(dtype), threads), *m);
    }
  }
}

TEST(Bench, TinyModel) {
  for (int threads : {1, 0}) {
    for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      LlamaForCausalLM m(tiny_llama_config(512), torch::TensorOptions().dtype(dtype));
      init_weights(*m, 0);
      m->eval();
      bench(with_threads(std::string("tiny ") + dtype_name(dtype), threads), *m);
    }
  }
}

}  // namespace
}  // namespace axolotl::model
