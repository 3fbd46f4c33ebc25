// The boundary between the torch-free `axolotl` executable and libaxolotl_engine.so (LibTorch).
// The CLI loads the engine with dlopen only for commands that need tensors, so that validate, init,
// download and --help never pay LibTorch's ~0.8 s load time. Both sides share libaxolotl_core.so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "axolotl/config/config.h"

namespace axolotl::engine {

// Bumped whenever Api or an options struct changes layout.
constexpr int kApiVersion = 4;

struct TrainOptions {
  int nproc_per_node = 1;
};

struct MergeOptions {
  std::string output_dir;
  bool force = false;
  int64_t max_shard_bytes = 5'000'000'000;  // as huggingface_hub's default "5GB"
  std::string dtype;  // --dtype float32|bfloat16|float16; empty: the base checkpoint's torch_dtype
};

struct InferenceOptions {
  std::vector<std::string> prompts;  // empty: read prompts from stdin, one per line
  bool prompts_from_stdin = false;
  int max_new_tokens = 128;
  double temperature = 0.0;          // 0 = greedy
  int top_k = 0;                     // 0 = off
  double top_p = 1.0;                // 1 = off
  double repetition_penalty = 1.0;   // 1 = off
  uint64_t seed = 0;
  std::string template_name;         // empty: raw prompt; "alpaca", ... : format as in training
  bool chat = false;                 // multi-turn: each stdin line is a user turn of one conversation
  // Chat template variables over the config's chat_template_kwargs: --chat-template-kwargs (a JSON
  // object's text; its keys win), then --enable-thinking / --no-enable-thinking.
  std::string chat_template_kwargs;
  std::optional<bool> enable_thinking;
};

struct TinyModelOptions {
  std::string output_dir;            // receives config.json, model.safetensors, tokenizer files
  std::string corpus_path;           // text to train the sentencepiece tokenizer on
  bool force = false;
  uint64_t seed = 0;
  std::string family = "llama";      // model/family.h model_type: qwen2, qwen3, gemma2, gemma3, phi3, ...
  std::string tokenizer_dir;         // optional: copy this tokenizer (tokenizer.json/.model) instead of training one
  int64_t intermediate_size = 0;     // > 0: the MLP width instead of 344
};

// The engine's entry points. Each returns the process exit status; errors are thrown as
// axolotl::Error (whose type info lives in libaxolotl_core.so, shared by both sides).
struct Api {
  int version;
  int (*train)(const config::Config& config, const TrainOptions& options);
  int (*merge)(const config::Config& config, const MergeOptions& options);
  int (*inference)(const config::Config& config, const InferenceOptions& options);
  int (*create_tiny_model)(const TinyModelOptions& options);
  int (*evaluate)(const config::Config& config);  // eval loss and perplexity, no training
};

// Core side: loads libaxolotl_engine.so (beside the executable, ../lib/axolotl/, or $AXOLOTL_ENGINE)
// once and returns its Api. Throws Error with a hint when the library is missing or mismatched.
const Api& load_engine();

}  // namespace axolotl::engine

// Exported by libaxolotl_engine.so.
extern "C" const axolotl::engine::Api* axolotl_engine_api();
