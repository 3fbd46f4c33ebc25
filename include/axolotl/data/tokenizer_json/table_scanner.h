// A strict scanner for the two big values of tokenizer.json, model.vocab ({"token": id, ...}) and
// model.merges (["a b", ...] or [["a", "b"], ...]), about ten times faster than a general JSON
// parser. It accepts only that JSON subset: whitespace, strings (every escape, UTF-8 checked as
// nlohmann does) and non-negative int32 ids; anything else (another value type, a repeated key, two
// tokens on one id, "-0", 1e3) returns false and the caller parses the file the general way.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "axolotl/data/tokenizer_json/tokenizer_file.h"

namespace axolotl::data::tokjson {

using Span = std::pair<size_t, size_t>;  // [begin, end) in bytes

// The spans of the values of root."model"."vocab" (an object) and root."model"."merges" (an array),
// found by a scan that follows strings, escapes and nesting (exact for valid JSON; keys are compared
// as written, so an escaped spelling is not found). nullopt unless both are found; the first of a
// repeated key is given (the caller's strict parse of the rest sees the repeat).
std::optional<std::pair<Span, Span>> table_spans(std::string_view text);

// `region` is exactly the vocab object / the merges array. True when it was read completely.
bool scan_vocab(std::string_view region, BpeVocab& out);
bool scan_merges(std::string_view region, BpeMergeList& out);

}  // namespace axolotl::data::tokjson
