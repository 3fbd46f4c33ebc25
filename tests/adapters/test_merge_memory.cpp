// Peak memory of `axolotl merge` on a model several times the shard size (slow: writes ~370 MB).
// The base is generated on the fly (never whole in this process); the merge runs in the real
// executable, started with posix_spawn (no copy of this process's pages, which fork would count in
// the child's peak), and its own peak RSS is read with wait4.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <cstring>

#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/model/llama_config.h"
#include "test_support.h"

extern char** environ;

namespace fs = std::filesystem;
using axolotl::testing::TempDir;

namespace {

// Deterministic values in [-0.05, 0.05) without holding the tensor.
void fill_random(float* out, int64_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    out[i] = (static_cast<float>(s >> 40) / static_cast<float>(1 << 24) - 0.5f) * 0.1f;
  }
}

axolotl::io::TensorSource lazy(const std::string& name, std::vector<int64_t> shape, uint64_t seed) {
  axolotl::io::TensorSource t{name, axolotl::io::DType::kF32, shape, {}};
  const int64_t n = t.nbytes() / 4;
  t.fill = [n, seed](uint8_t* dst) { fill_random(reinterpret_cast<float*>(dst), n, seed); };
  return t;
}

// Runs `args` (argv[0] = program) with stdout/stderr to `log`; returns the exit status and peak RSS (KiB).
int spawn_and_measure(const std::vector<std::string>& args, const fs::path& log, long* max_rss_kb) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  *max_rss_kb = usage.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(MergeMemory, PeakRssStaysNearOneShard) {
  TempDir tmp;
  axolotl::model::LlamaConfig c;
  c.vocab_size = 8000;
  c.hidden_size = 1024;
  c.intermediate_size = 2816;
  c.num_hidden_layers = 6;
  c.num_attention_heads = 16;
  c.num_key_value_heads = 16;
  c.head_dim = 64;
  const uint64_t shard = 50'000'000;
  fs::create_directories(tmp / "base");
  axolotl::io::write_file_atomic((tmp / "base" / "config.json").string(), axolotl::model::llama_config_json(c));
  std::map<std::string, torch::Tensor> lora;
  uint64_t model_bytes = 0;
  {
    axolotl::io::ShardedWriter writer((tmp / "base").string(), shard);
    uint64_t seed = 1;
    auto add = [&](const std::string& name, std::vector<int64_t> shape) {
      auto t = lazy(name, shape, seed++);
      model_bytes += t.nbytes();
      writer.add(std::move(t));
    };
    add("model.embed_tokens.weight", {c.vocab_size, c.hidden_size});
    const std::pair<const char*, std::vector<int64_t>> projections[] = {
        {"self_attn.q_proj", {1024, 1024}}, {"self_attn.k_proj", {1024, 1024}}, {"self_attn.v_proj", {1024, 1024}},
        {"self_attn.o_proj", {1024, 1024}}, {"mlp.gate_proj", {2816, 1024}},    {"mlp.up_proj", {2816, 1024}},
        {"mlp.down_proj", {1024, 2816}}};
    for (int i = 0; i < c.num_hidden_layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      add(p + "input_layernorm.weight", {c.hidden_size});
      add(p + "post_attention_layernorm.weight", {c.hidden_size});
      for (const auto& [name, shape] : projections) {
        add(p + name + ".weight", shape);
        lora[p + name + ".lora_A.weight"] = torch::randn({8, shape[1]}) * 0.01;
        lora[p + name + ".lora_B.weight"] = torch::randn({shape[0], 8}) * 0.01;
      }
    }
    add("model.norm.weight", {c.hidden_size});
    add("lm_head.weight", {c.vocab_size, c.hidden_size});
    writer.finish();
  }
  axolotl::adapters::AdapterConfig adapter;
  adapter.r = 8;
  adapter.lora_alpha = 16;
  adapter.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  axolotl::adapters::write_adapter((tmp / "adapter").string(), adapter, lora);
  lora.clear();
  axolotl::testing::write_file(tmp / "merge.yml", "base_model: " + (tmp / "base").string() +
                                                      "\nadapter: lora\nlora_model_dir: " + (tmp / "adapter").string() +
                                                      "\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  const char* bin = std::getenv("AXOLOTL_BIN");
  ASSERT_NE(bin, nullptr) << "run through ctest (AXOLOTL_BIN)";
  long max_rss_kb = 0;
  const int rc = spawn_and_measure({bin, "merge", (tmp / "merge.yml").string(), "--output", (tmp / "merged").string(),
                                    "--max-shard-size", std::to_string(shard)},
                                   tmp / "merge.log", &max_rss_kb);
  ASSERT_EQ(rc, 0) << axolotl::testing::read_file(tmp / "merge.log");
  // The same executable merging a 0.1 MB model: LibTorch's own footprint.
  const auto tiny = axolotl::testing::source_dir() / "tests/assets/adapters/peft_tiny";
  axolotl::testing::write_file(tmp / "tiny.yml", "base_model: " + (tiny / "base").string() +
                                                     "\nadapter: lora\nlora_model_dir: " + (tiny / "adapter").string() +
                                                     "\ndatasets:\n  - path: unused.jsonl\n    type: alpaca\n");
  long baseline_kb = 0;
  ASSERT_EQ(spawn_and_measure({bin, "merge", (tmp / "tiny.yml").string(), "--output", (tmp / "tiny-merged").string()},
                              tmp / "tiny.log", &baseline_kb), 0)
      << axolotl::testing::read_file(tmp / "tiny.log");
  const double peak_mb = max_rss_kb / 1024.0;
  const double baseline_mb = baseline_kb / 1024.0;
  const double model_mb = model_bytes / 1e6;
  std::printf("merge peak RSS %.1f MB (%.1f MB for a 0.1 MB model) for a %.1f MB float32 model in %.0f MB shards\n",
              peak_mb, baseline_mb, model_mb, shard / 1e6);
  RecordProperty("merge_peak_rss_mb", std::to_string(peak_mb));
  int shards = 0;
  for (const auto& e : fs::directory_iterator(tmp / "merged")) {
    shards += e.path().extension() == ".safetensors";
  }
  EXPECT_GE(shards, 3);  // bf16 output (the config's default dtype): ~187 MB in 50 MB shards
  EXPECT_TRUE(fs::exists(tmp / "merged" / "model.safetensors.index.json"));
  // Above LibTorch's footprint: about one input shard + one output tensor + the adapter, not the model.
  EXPECT_LT(peak_mb - baseline_mb, 2.0 * shard / 1e6);
}
