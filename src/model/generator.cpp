// generate(): prefill + per-token decode with a KV cache, in inference mode.
#include "axolotl/model/generator.h"

#include <algorithm>
#include <chrono>

#include "axolotl/util/error.h"

namespace axolotl::model {

GenerationResult generate(LlamaForCausalLMImpl& model, const std::vector<int64_t>& prompt,
                          const GenerationOptions& options, const TokenCallback& on_token) {
  if (prompt.empty()) throw Error("generation needs at least one prompt token (e.g. BOS)");
  torch::NoGradGuard no_grad;
  const auto eos = options.eos_ids.empty() ? model.config().eos_token_ids : options.eos_ids;
  const auto device = model.device();
  Sampler sampler(options.sampling);
  KvCache cache(model.config().num_hidden_layers,
                static_cast<int64_t>(prompt.size()) + std::max(options.max_new_tokens, 1));
  std::vector<int64_t> seq = prompt;
  GenerationResult result;
  using Clock = std::chrono::steady_clock;
  auto step_start = Clock::now();
  for (int step = 0; step < options.max_new_tokens; ++step) {
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
