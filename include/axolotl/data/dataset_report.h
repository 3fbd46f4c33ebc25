// Human-facing views of prepared rows for `axolotl preprocess`: statistics with drop reasons,
// packing efficiency and a length histogram; rows with trained and masked tokens told apart;
// a JSONL dump of every row.
#pragma once

#include <string>

#include "axolotl/data/dataset_builder.h"
#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

// Multi-line summary: rows kept/dropped by reason, tokens, trained share, packing efficiency of
// the training rows into bins of sequence_len, and a length histogram.
std::string format_stats(const PreparedData& data, int sequence_len);

// One row as text; masked tokens in dim grey and trained ones in green when `ansi`, otherwise
// masked runs wrapped in [masked]…[/masked].
std::string render_row(const TokenizedRow& row, const Tokenizer& tokenizer, bool ansi);
// Axolotl's check_example_labels view: every token decoded alone followed by (label, id), joined by
// spaces (red: masked, yellow: label 0, green: trained, on a terminal), then the length and label count.
std::string render_row_tokens(const TokenizedRow& row, const Tokenizer& tokenizer, bool ansi);

// Writes every row of `rows` as {"input_ids": [...], "labels": [...]} lines; atomic (temp + rename).
void dump_rows(const RowStore& rows, const std::string& path);

}  // namespace axolotl::data
