// Throughput of OUR LoRA training step (bench/README.md): the step the trainer runs (train/trainer.cpp):
// CausalLmLoss Σ CE / tokens, backward, clip_grad_norm, AdamW step. The model is built in memory
// (--dim ..., the ~15M LLaMA by default) or loaded from a HF folder (--model DIR, as `axolotl train`
// loads it; --qlora quantizes to NF4 while loading). --packed N splits every row into N segments
// (sample_packing). Prints one JSON line with tokens/s and peak RSS. Limits: random weights and tokens
// (speed only); no data loading, logging or checkpoints.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/model/attention_mask.h"
#include "axolotl/model/pretrained.h"
#include "axolotl/model/cpu_gemm.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/runtime.h"
#include "axolotl/train/causal_lm_loss.h"
#include "axolotl/train/optimizer.h"
#include "axolotl/util/runtime_env.h"

namespace {

struct Args {
  std::string dtype = "fp32";  // fp32 | bf16: the whole base model in that dtype, as `dtype: bfloat16`
  int threads = 0;             // 0 = all cores (model::set_threads)
  int64_t batch = 4, seq = 256;
  int64_t dim = 288, hidden = 768, layers = 6, heads = 6, kv_heads = 0, vocab = 32000;  // kv_heads 0 = heads
  int64_t rank = 8, packed = 1;  // LoRA r (alpha = 2r); segments per row
  std::string targets = "qkvo";  // qkvo | all (the seven projections, lora_target_linear)
  std::string model_dir;         // load this HF folder instead of building the model
  bool qlora = false;            // NF4 base (with --model), computing in --dtype
  int warmup = 2, steps = 5;
  bool product_runtime = true;  // apply the runtime settings `axolotl train` applies to itself
  std::string trace;            // --trace FILE: one more step under the LibTorch profiler, Chrome trace to FILE
};

int usage(const char* msg) {
  std::fprintf(stderr,
               "%s\nusage: axolotl_bench_lora [--dtype fp32|bf16] [--threads N] [--batch B] [--seq T] [--dim D]\n"
               "  [--hidden H] [--layers L] [--heads N] [--kv-heads N] [--vocab V] [--rank R] [--targets qkvo|all]\n"
               "  [--packed N] [--model DIR [--qlora]] [--warmup N] [--steps N] [--no-product-runtime] [--trace FILE]\n"
               "  (--trace: one extra step under the LibTorch profiler, written as a Chrome trace; bench/trace_ops.py\n"
               "  lists its ops by self CPU time)\n",
               msg);
  return 2;
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--no-product-runtime" || k == "--qlora") {
      (k == "--qlora" ? a.qlora : a.product_runtime) = k == "--qlora";
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    const bool num = end != v.c_str() && *end == '\0' && n >= 0;
    if (k == "--dtype" && (v == "fp32" || v == "bf16")) a.dtype = v;
    else if (k == "--targets" && (v == "qkvo" || v == "all")) a.targets = v;
    else if (k == "--model") a.model_dir = v;
    else if (k == "--trace") a.trace = v;
    else if (!num) return false;
    else if (k == "--threads") a.threads = static_cast<int>(n);
    else if (k == "--batch") a.batch = n;
    else if (k == "--seq") a.seq = n;
    else if (k == "--dim") a.dim = n;
    else if (k == "--hidden") a.hidden = n;
    else if (k == "--layers") a.layers = n;
    else if (k == "--heads") a.heads = n;
    else if (k == "--kv-heads") a.kv_heads = n;
    else if (k == "--rank") a.rank = n;
    else if (k == "--packed") a.packed = n;
    else if (k == "--vocab") a.vocab = n;
    else if (k == "--warmup") a.warmup = static_cast<int>(n);
    else if (k == "--steps") a.steps = static_cast<int>(n);
    else return false;
  }
  if (a.kv_heads == 0) a.kv_heads = a.heads;
  return a.batch > 0 && a.seq > 1 && a.steps > 0 && a.heads > 0 && a.dim % a.heads == 0 && a.kv_heads > 0 &&
         a.heads % a.kv_heads == 0 && a.rank > 0 && a.packed > 0 && a.seq % a.packed == 0 &&
         (!a.qlora || !a.model_dir.empty());
}

// CPU time of this process, all threads: on a shared machine it moves less with others' load than the
// wall clock (with one thread it is the step's own work; with more it includes OpenMP's spinning).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double peak_rss_mb() {  // VmHWM of this process
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0.0;
  char line[256];
  double mb = 0.0;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, "VmHWM:", 6) == 0) mb = std::strtod(line + 6, nullptr) / 1024.0;
  std::fclose(f);
  return mb;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) return usage("bad arguments");
  if (a.product_runtime) {
    // The product sets OpenMP's wait variables before dlopen-ing LibTorch (engine::load_engine). This
    // binary links LibTorch directly and libgomp reads them in its load-time constructor, so the same
    // effect needs one re-exec with them set (a user's own setting is kept).
    if (axolotl::util::configure_openmp()) {
      execv("/proc/self/exe", argv);
      std::perror("execv /proc/self/exe");
      return 1;
    }
    if (a.qlora) axolotl::util::return_freed_memory();  // as cli/cmd_engine.cpp for quantized bases
    else axolotl::util::keep_freed_memory();            // and for the others
  }
  axolotl::model::set_threads(a.threads);
  torch::manual_seed(0);

  const auto dtype = a.dtype == "bf16" ? torch::kBFloat16 : torch::kFloat32;
  axolotl::model::LlamaForCausalLM m{nullptr};
  if (!a.model_dir.empty()) {  // as train/training_setup.cpp: quantized projection by projection while loading
    axolotl::config::ModelConfig mc;
    mc.name = a.model_dir;
    mc.dtype = a.dtype == "bf16" ? axolotl::config::DType::kBFloat16 : axolotl::config::DType::kFloat32;
    mc.device = axolotl::config::Device::kCpu;
    mc.threads = a.threads;
    axolotl::config::QuantizationConfig quant;
    quant.load_in_4bit = a.qlora;
    m = axolotl::model::load_pretrained(mc, [&](axolotl::model::LlamaForCausalLMImpl& model) {
      return axolotl::adapters::quantize_while_loading(model, quant);
    });
    a.vocab = m->config().vocab_size;
  } else {
    axolotl::model::LlamaConfig c;
    c.vocab_size = a.vocab;
    c.hidden_size = a.dim;
    c.intermediate_size = a.hidden;
    c.num_hidden_layers = a.layers;
    c.num_attention_heads = a.heads;
    c.num_key_value_heads = a.kv_heads;
    c.head_dim = a.dim / a.heads;
    c.max_position_embeddings = std::max<int64_t>(2048, a.seq);
    c.rms_norm_eps = 1e-5;
    c.tie_word_embeddings = true;
    m = axolotl::model::LlamaForCausalLM(c, torch::TensorOptions().dtype(dtype));
    axolotl::model::init_weights(*m, 0);
  }

  axolotl::adapters::AdapterConfig adapter;
  adapter.r = a.rank;
  adapter.lora_alpha = 2.0 * static_cast<double>(a.rank);
  adapter.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  if (a.targets == "all") adapter.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  const auto report = axolotl::adapters::inject_lora(*m, adapter);
  axolotl::train::NamedParams trainable;
  for (const auto& item : m->named_parameters())
    if (item.value().requires_grad()) trainable.emplace_back(item.key(), item.value());
  axolotl::config::TrainingConfig tc;  // defaults: AdamW lr 2e-4, max_grad_norm 1
  axolotl::train::Optimizer optimizer(tc, trainable);
  axolotl::train::CausalLmLoss loss(*m, /*gradient_checkpointing=*/false);
  m->train();

  axolotl::train::BatchTensors b;
  b.input_ids = torch::randint(0, a.vocab, {a.batch, a.seq}, torch::kInt64);              // (B, T)
  b.labels = b.input_ids.clone();                                                         // (B, T)
  // --packed N: segment ids 1..N of seq/N tokens each, positions restarting per segment (data/packing).
  b.segment_ids = (torch::arange(a.seq, torch::kInt64) / (a.seq / a.packed) + 1).unsqueeze(0).expand({a.batch, a.seq})
                      .contiguous();                                                      // (B, T)
  b.position_ids = axolotl::model::positions_from_segments(b.segment_ids);                // (B, T)
  const double denom = static_cast<double>(a.batch * (a.seq - 1));                        // trained tokens

  double last_loss = 0.0;
  auto step = [&] {  // trainer.cpp's optimizer step with one micro-batch
    optimizer.zero_grad();
    torch::Tensor l = loss.sum(b) / denom;
    l.backward();
    axolotl::train::clip_grad_norm(trainable, tc.max_grad_norm);
    optimizer.set_lr(tc.learning_rate);
    optimizer.step();
    last_loss = l.item<double>();
  };
  for (int i = 0; i < a.warmup; ++i) step();
  std::vector<double> times, cpu_times;
  for (int i = 0; i < a.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    step();
    cpu_times.push_back(cpu_seconds() - c0);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (!a.trace.empty()) {  // after the timed steps, so the figures above do not include the profiler
    torch::autograd::profiler::RecordProfile profile(a.trace);
    step();
  }
  const double s = median(times);
  int64_t total = 0;
  for (const auto& p : m->parameters()) total += p.numel();
  nlohmann::json out = {{"dtype", a.dtype},
                        {"threads", torch::get_num_threads()},
                        {"batch", a.batch},
                        {"seq", a.seq},
                        {"packed_segments", a.packed},
                        {"rank", a.rank},
                        {"targets", a.targets},
                        {"model", a.model_dir},
                        {"qlora", a.qlora},
                        {"peak_rss_mb", peak_rss_mb()},
                        {"parameters", total},
                        {"trainable_parameters", report.trainable_params},
                        {"product_runtime", a.product_runtime},
                        {"onednn_gemm", axolotl::model::onednn_gemm_enabled()},
                        {"omp_wait_policy", std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : ""},
                        {"gomp_spincount", std::getenv("GOMP_SPINCOUNT") ? std::getenv("GOMP_SPINCOUNT") : ""},
                        {"loss", last_loss},
                        {"step_seconds", s},
                        {"step_seconds_all", times},
                        {"step_cpu_seconds", median(cpu_times)},
                        {"tokens_per_second", static_cast<double>(a.batch * a.seq) / s}};
  std::printf("%s\n", out.dump().c_str());
  return std::isfinite(last_loss) ? 0 : 1;
}
