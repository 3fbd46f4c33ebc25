// KTO's unpaired rows (rl: kto): Axolotl's prompt_strategies/kto/{chatml,llama3,user_defined}.py render a
// JSON row to {prompt, completion} strings plus its `label` (desirable or not); TRL 1.8's KTOTrainer then
// tokenizes them as DPO does for one completion (kto_trainer.py _prepare_dataset: EOS text appended unless
// present, prompt_ids = tok(prompt), completion_ids = tok(prompt + completion)[len(prompt_ids):]).
// Stored row (one RowStore row per example): input_ids = [desirable 0/1, prompt length, prompt, completion],
// labels = -100 on the header and the prompt, the token on the completion. Not cut here: the collator cuts
// each sequence (and the mismatched KL sequences it builds) at max_length.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/data/row_encoder.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

struct KtoText {
  std::string prompt;
  std::string completion;
  bool desirable = true;
};

// user_defined.default's fields (Axolotl prompt_strategies/kto/user_defined.py; a `type:` map under
// rl: kto): prompt = prompt_format with {prompt} (and {system} when the row has a non-empty system
// field), completion = completion_format with {completion}, label = the row's field_label. No turn
// markers; TRL appends EOS to the completion as for every KTO row.
struct UserDefinedKto {
  std::string field_prompt = "prompt";
  std::string field_system = "system";
  std::string field_completion = "completion";
  std::string field_label = "label";
  std::string prompt_format = "{prompt}";
  std::string completion_format = "{completion}";
};

// chatml.{argilla, argilla_chat, intel, prompt_pairs, ultra}, llama3.<same> and user_defined.default.
bool is_kto_type(const std::string& type);

// Renders one row. Error (key "type") for a missing field, a label that is not a bool (or 0/1), a
// user_defined format naming a field it cannot fill, or an unknown type (naming the KTO variants).
KtoText render_kto(const std::string& type, const nlohmann::json& row, const UserDefinedKto& fields = {});

struct KtoExample {
  std::vector<int32_t> prompt;
  std::vector<int32_t> completion;
  bool desirable = true;
};

KtoExample tokenize_kto(const Tokenizer& tokenizer, const KtoText& text);
TokenizedRow kto_row(const KtoExample& example);

// The parts of a stored KTO row: [prompt_begin, prompt_begin + prompt_length) and the completion after it.
struct KtoSpans {
  bool desirable = true;
  int64_t prompt_begin = 2, prompt_length = 0, completion_begin = 0, completion_length = 0;
};
// Error when the header does not fit the row (not a KTO row: prepared for another rl).
KtoSpans kto_spans(const int32_t* tokens, int64_t length);

}  // namespace axolotl::data
