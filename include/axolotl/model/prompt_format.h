// Formats an inference prompt as the training template did. Minimal: only "alpaca" (FORMATS.md §9.1,
// instruction without input) until data/ offers a shared prompt formatter for inference.
#pragma once

#include <string>

namespace axolotl::model {

// template_name empty -> prompt unchanged; "alpaca" -> the alpaca instruct prompt; else UsageError.
std::string format_prompt(const std::string& template_name, const std::string& prompt);

}  // namespace axolotl::model
