// KTO's unpaired rows (rl: kto): Axolotl's prompt_strategies/kto/{chatml,llama3}.py render a
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

// chatml.{argilla, argilla_chat, intel, prompt_pairs, ultra} and llama3.<same>. (user_defined.default
// takes a map `type:` in Axolotl, which the config reader does not accept for rl yet.)
bool is_kto_type(const std::string& type);

// Renders one row. Error (key "type") for a missing field, a label that is not a bool (or 0/1), or an
// unknown type (naming the KTO variants).
KtoText render_kto(const std::string& type, const nlohmann::json& row);

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
