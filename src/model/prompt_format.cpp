// Inference prompt templates (FORMATS.md §9.1 Alpaca, no input).
#include "axolotl/model/prompt_format.h"

#include "axolotl/util/error.h"

namespace axolotl::model {

std::string format_prompt(const std::string& template_name, const std::string& prompt) {
  if (template_name.empty()) return prompt;
  if (template_name == "alpaca") {
    return "Below is an instruction that describes a task. Write a response that appropriately completes the "
           "request.\n\n### Instruction:\n" +
           prompt + "\n\n### Response:\n";
  }
  throw UsageError(Diagnostic{{}, "--template", "unknown prompt template", template_name, "alpaca", {}});
}

}  // namespace axolotl::model
