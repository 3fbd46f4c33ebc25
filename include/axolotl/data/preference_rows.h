// TRL 1.8 DPOTrainer tokenization of {prompt, chosen, rejected} strings (FORMATS2.md §4.3) and the
// stored form of one pair. Tokenization: EOS text appended to each completion unless it ends with it;
// prompt_ids = tok(prompt), chosen_ids = tok(prompt + chosen)[len(prompt_ids):] (default special tokens,
// a mismatched prefix is kept as TRL does); pairs whose prompt alone fills max_length are dropped;
// each sequence is cut at max_length (truncation_mode keep_start).
// Stored row (one RowStore row per pair, so filters, splits and shuffles keep pairs whole):
//   input_ids = [n, prompt+chosen (n tokens), prompt+rejected], labels = -100 on the header and the
//   prompts, the token on completions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "axolotl/data/preference_strategy.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

struct PreferencePair {
  std::vector<int32_t> prompt;
  std::vector<int32_t> chosen;    // completion only
  std::vector<int32_t> rejected;  // completion only
};

// nullopt when the prompt alone has max_length tokens or more (TRL drops the row).
std::optional<PreferencePair> tokenize_dpo(const Tokenizer& tokenizer, const PreferenceText& text, int max_length);

// Each sequence cut at max_length (0 = no cut).
TokenizedRow pair_row(const PreferencePair& pair, int max_length);

// TRL's ORPOTrainer tokenize_row (trl/experimental/orpo; CPO's is the same): the strings without
// special tokens, the answer's first token may absorb the prompt's last (the boundary moves back one),
// BOS prepended and EOS appended when missing, answers cut when prompt + the longer answer exceed
// max_length. Chosen and rejected keep their own prompt tokens. Error when the two prompts differ by
// more than the last token (as TRL raises).
struct LegacyPair {
  std::vector<int32_t> chosen_prompt, chosen, rejected_prompt, rejected;
};
LegacyPair tokenize_legacy(const Tokenizer& tokenizer, const PreferenceText& text, int max_length);
TokenizedRow pair_row(const LegacyPair& pair);

// The two sequences inside a stored pair row: [begin, begin + length) of its tokens.
struct PairSpans {
  int64_t chosen_begin = 1, chosen_length = 0, rejected_begin = 0, rejected_length = 0;
};
// Error when the header does not fit the row (not a pair row).
PairSpans pair_spans(const int32_t* tokens, int64_t length);

}  // namespace axolotl::data
