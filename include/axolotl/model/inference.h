// `axolotl inference`: load the model and tokenizer, then for each prompt stream the generated text
// to `out` as it is produced (one line per prompt); timings go to the log (stderr).
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/model/generator.h"

namespace axolotl::model {

struct InferenceRequest {
  std::vector<std::string> prompts;  // used when not from_stdin
  bool from_stdin = false;           // one prompt per line of `in`
  std::string template_name;         // see prompt_format.h; or any chat template name training accepts
  bool chat = false;                 // one conversation: each prompt is a user turn, rendered by the chat template
  std::string chat_template;         // config chat_template (used by --chat without --template)
  std::string chat_template_jinja;   // config chat_template_jinja
  std::vector<std::string> eot_tokens;  // generation also stops at these
  std::string chat_template_kwargs;     // the template's extra variables: a JSON object's text, or empty
  GenerationOptions generation;
  // Called once on the loaded model before generating (the engine loads a LoRA adapter here;
  // model/ cannot depend on adapters/).
  std::function<void(LlamaForCausalLMImpl&)> prepare_model;
};

int run_inference(const config::ModelConfig& model_config, const config::TokenizerConfig& tokenizer_config,
                  const InferenceRequest& request, std::istream& in, std::ostream& out);

}  // namespace axolotl::model
