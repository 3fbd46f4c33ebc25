// Autoregressive generation for one sequence: prefill the prompt, then one token per step with the
// KV cache (or a full re-forward when use_cache is false); stops at any EOS id or max_new_tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "axolotl/model/llama_model.h"
#include "axolotl/model/sampler.h"

namespace axolotl::model {

struct GenerationOptions {
  int max_new_tokens = 128;
  SamplingOptions sampling;
  std::vector<int64_t> eos_ids;  // empty: the model config's eos ids
  bool use_cache = true;
};

struct GenerationResult {
  std::vector<int64_t> tokens;  // generated ids (EOS included when it stopped there)
  bool stopped_at_eos = false;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// Called with each new token as soon as it is chosen; return false to stop early.
using TokenCallback = std::function<bool(int64_t token)>;

GenerationResult generate(LlamaForCausalLMImpl& model, const std::vector<int64_t>& prompt,
                          const GenerationOptions& options, const TokenCallback& on_token = {});

}  // namespace axolotl::model
