// generate(): prefill + per-token decode with a KV cache, in inference mode.
#include "axolotl/model/generator.h"

#include <algorithm>
#include <chrono>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {

GenerationResult generate(LlamaForCausalLMImpl& model, const std::vector<int64_t>& prompt,
                          const GenerationOptions& options, const TokenCallback& on_token) {
  if (prompt.empty()) throw Error("generation needs at least one prompt token (e.g. BOS)");
  torch::NoGradGuard no_grad;
  const auto eos = options.eos_ids.empty() ? model.config().eos_token_ids : options.eos_ids;
  const auto device = model.device();
  // The model's position limit bounds the prompt, the new tokens and so the KV cache: past it the
  // model was never trained, and an unbounded prompt would grow the cache until memory runs out.
  const int64_t limit = model.config().max_position_embeddings;
  const auto n_prompt = static_cast<int64_t>(prompt.size());
  int max_new = options.max_new_tokens;
  if (limit > 0 && n_prompt >= limit) {
    throw Error(Diagnostic{{}, "prompt", "the prompt is longer than the model's context",
                           std::to_string(n_prompt) + " tokens",
                           "fewer than max_position_embeddings = " + std::to_string(limit),
                           "shorten the prompt (or, in --chat, start a new conversation)"});
  }
  if (limit > 0 && n_prompt + max_new > limit) {
    max_new = static_cast<int>(limit - n_prompt);
    log::warn("model", "max_new_tokens {} would pass the model's {} positions after a {}-token prompt; "
              "generating at most {}", options.max_new_tokens, limit, n_prompt, max_new);
  }
  Sampler sampler(options.sampling);
  KvCache cache(model.config().num_hidden_layers, n_prompt + std::max(max_new, 1));
  std::vector<int64_t> seq = prompt;
  GenerationResult result;
  using Clock = std::chrono::steady_clock;
  auto step_start = Clock::now();
  for (int step = 0; step < max_new; ++step) {
    torch::Tensor logits;
    if (options.use_cache) {
      const auto fresh = step == 0 ? seq : std::vector<int64_t>{seq.back()};
      auto ids = torch::tensor(fresh, torch::kInt64).to(device).unsqueeze(0);  // (1, T)
      ForwardArgs args;
      args.cache = &cache;
      logits = model.forward(ids, args);  // (1, T, V)
    } else {
      auto ids = torch::tensor(seq, torch::kInt64).to(device).unsqueeze(0);  // (1, S)
      logits = model.forward(ids);                                           // (1, S, V)
    }
    const int64_t token = sampler.next(logits[0][logits.size(1) - 1], seq);  // from (V)
    const auto now = Clock::now();
    (step == 0 ? result.prefill_seconds : result.decode_seconds) +=
        std::chrono::duration<double>(now - step_start).count();
    step_start = now;
    seq.push_back(token);
    result.tokens.push_back(token);
    const bool is_eos = std::find(eos.begin(), eos.end(), token) != eos.end();
    if (on_token && !on_token(token)) break;
    if (is_eos) {
      result.stopped_at_eos = true;
      break;
    }
  }
  return result;
}

}  // namespace axolotl::model
