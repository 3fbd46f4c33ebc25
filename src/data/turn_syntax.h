// The two turn syntaxes of Axolotl's chatml.* and llama3.* preference strategies (prompt_strategies/
// dpo/ and kto/: the same functions with these strings), shared by the DPO and KTO renderers.
#pragma once

namespace axolotl::data {

struct TurnSyntax {
  const char* system_open;
  const char* user_open;
  const char* end;             // closes a turn; also appended to each completion
  const char* sep;             // between turns
  const char* assistant_open;  // the generation prompt
};

constexpr TurnSyntax kChatmlTurns = {"<|im_start|>system\n", "<|im_start|>user\n", "<|im_end|>", "\n",
                                     "<|im_start|>assistant\n"};
constexpr TurnSyntax kLlama3Turns = {"<|start_header_id|>system<|end_header_id|>\n\n",
                                     "<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>", "",
                                     "<|start_header_id|>assistant<|end_header_id|>\n\n"};

}  // namespace axolotl::data
