// run_inference: prompts -> (chat template) -> tokenizer -> generate -> streamed text; --chat keeps
// one conversation across input lines. Exactly one output line per prompt (stdin: per input line,
// empty ones included); a newline inside a reply is written as \n.
#include "axolotl/model/inference.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "axolotl/data/chat_template.h"
#include "axolotl/data/tokenizer.h"
#include "axolotl/io/hub_resolve.h"
#include "axolotl/model/pretrained.h"
#include "axolotl/model/prompt_format.h"
#include "axolotl/model/text_stream.h"
#include "axolotl/util/log.h"

namespace axolotl::model {
namespace {

std::string join_ids(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

}  // namespace

int run_inference(const config::ModelConfig& model_config, const config::TokenizerConfig& tokenizer_config,
                  const InferenceRequest& request, std::istream& in, std::ostream& out) {
  auto model = load_pretrained(model_config);
  if (request.prepare_model) {
    request.prepare_model(*model);
    model->eval();
  }
  std::string tok_path = tokenizer_config.path.empty() ? model_folder(model_config) : tokenizer_config.path;
  if (!std::filesystem::exists(tok_path)) tok_path = io::resolve_tokenizer_dir(tok_path, model_config.revision);
  auto tokenizer = data::Tokenizer::load(tok_path, tokenizer_config);
  GenerationOptions gen = request.generation;
  if (gen.eos_ids.empty()) gen.eos_ids = model->config().eos_token_ids;
  if (std::find(gen.eos_ids.begin(), gen.eos_ids.end(), tokenizer->eos_id()) == gen.eos_ids.end()) {
    gen.eos_ids.push_back(tokenizer->eos_id());
  }
  // A chat template: --chat (the config's template unless --template names one), or a --template
  // other than the plain alpaca prompt.
  std::optional<data::ChatTemplate> chat;
  if (request.chat || (!request.template_name.empty() && request.template_name != "alpaca")) {
    chat = data::resolve_chat_template(request.template_name.empty() ? request.chat_template : request.template_name,
                                       request.chat_template_jinja, tok_path, "--template");
    for (const auto& t : request.eot_tokens) {
      auto eot = tokenizer->encode(t, false, false);
      if (eot.size() == 1 && std::find(gen.eos_ids.begin(), gen.eos_ids.end(), eot[0]) == gen.eos_ids.end()) {
        gen.eos_ids.push_back(eot[0]);
      }
    }
  }
  data::ChatVars vars;
  if (tokenizer->bos_id() >= 0) vars.bos_token = tokenizer->id_to_token(tokenizer->bos_id());  // Qwen: no BOS
  vars.eos_token = tokenizer->id_to_token(tokenizer->eos_id());
  vars.extra = data::chat_template_kwargs(request.chat_template_kwargs, "chat_template_kwargs");
  if (!chat && !vars.extra.items.empty()) {
    log::warn("inference", "chat_template_kwargs have no effect without --chat or a chat --template");
  }
  std::vector<data::Message> history;
  auto run_one = [&](const std::string& prompt) {
    std::vector<int32_t> ids32;
    if (chat) {
      if (!request.chat) history.clear();
      history.push_back({"user", prompt});
      ids32 = tokenizer->encode(chat->render(history, vars, true), false, false);  // add_special_tokens=False
    } else {
      ids32 = tokenizer->encode(format_prompt(request.template_name, prompt));
    }
    std::vector<int64_t> ids(ids32.begin(), ids32.end());
    if (ids.empty()) ids.push_back(tokenizer->bos_id());
    TextStream stream(out, /*one_line=*/true);  // one output line per prompt (per stdin line)
    std::vector<int32_t> reply;
    auto result = generate(*model, ids, gen, [&](int64_t token) {
      if (!tokenizer->is_special(static_cast<int32_t>(token))) {
        reply.push_back(static_cast<int32_t>(token));
        stream.push(tokenizer->token_text(static_cast<int32_t>(token)));
      }
      return true;
    });
    stream.finish();
    // The ids at debug level, so a check against another runtime (scripts/check_llamacpp.py) compares tokens.
    log::debug("inference", "prompt ids [{}] generated ids [{}]", join_ids(ids), join_ids(result.tokens));
    if (chat) history.push_back({"assistant", tokenizer->decode(reply)});
    out << "\n";
    out.flush();
    const double decode_tps = result.tokens.size() > 1 && result.decode_seconds > 0
                                  ? static_cast<double>(result.tokens.size() - 1) / result.decode_seconds
                                  : 0.0;
    log::info("inference", "prompt {} tokens, generated {} tokens ({}), prefill {:.3f} s, decode {:.1f} tokens/s",
              ids.size(), result.tokens.size(), result.stopped_at_eos ? "eos" : "max_new_tokens",
              result.prefill_seconds, decode_tps);
  };
  if (request.from_stdin) {
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) {
        run_one(line);
      } else {
        out << "\n";  // an empty input line: no turn, an empty output line (the lines stay paired)
        out.flush();
      }
    }
  } else {
    for (const auto& p : request.prompts) run_one(p);
  }
  return 0;
}

}  // namespace axolotl::model
