// Per-message character-span training (Axolotl's message_field_training_detail and content parts
// with train/weight flags): which tokens of a message's text get a loss, as
// ChatTemplatePrompter.get_offsets_for_train_detail / adjust_train_details decide it.
#pragma once

#include <string>
#include <vector>

#include "axolotl/data/jinja/value.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

// One detail: characters [begin, end] (inclusive, Python str indices) trained or not.
struct TrainSpan {
  long begin = 0, end = 0;
  bool train = false;
};

// Reads a list of {begin_offset, end_offset, train} dicts; throws Error naming `where` otherwise.
std::vector<TrainSpan> parse_train_detail(const jinja::Value& v, const std::string& where);

// The start character of each token of tok.encode(text, false, false), as the fast tokenizer's
// offset mapping gives it (a token starting inside a multi-byte character starts at that character).
// Throws Error naming `where` when the tokens do not spell `text` (a normalizer changed it).
std::vector<long> token_char_starts(const Tokenizer& tok, const std::string& text, const std::vector<int32_t>& ids,
                                    const std::string& where);

// For each token of `text` (tokenized alone, without special tokens): whether a detail with train
// set covers it entirely after the details are widened to token boundaries.
std::vector<bool> train_detail_mask(const Tokenizer& tok, const std::string& text,
                                    const std::vector<TrainSpan>& details, const std::string& where);

// _convert_content_parts: concatenates list content ({text|content|value} parts) and, when any part
// has `train` or `weight`, the details of its non-empty parts. Character offsets count code points.
struct ContentParts {
  std::string text;
  bool explicit_training = false;
  jinja::List details;  // {begin_offset, end_offset, train} dicts, as Axolotl stores them on the turn
};
ContentParts convert_content_parts(const jinja::List& parts);

}  // namespace axolotl::data
