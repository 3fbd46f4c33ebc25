// Jinja's built-in filters and tests of the chat-template subset (FORMATS2.md §2.3), plus
// transformers' `tojson` (Python json.dumps separators, no HTML escaping, ensure_ascii=False).
#pragma once

#include <string>

#include "axolotl/data/jinja/value.h"

namespace axolotl::data::jinja {

bool is_filter(const std::string& name);
bool is_test(const std::string& name);
// `subject | name(args)`; throws Fault on bad arguments.
Value apply_filter(const std::string& name, const Value& subject, const Args& args);
// `subject is name(args)`.
bool apply_test(const std::string& name, const Value& subject, const Args& args);
// json.dumps(v, ensure_ascii=False, indent=indent (<0: None), sort_keys=sort_keys).
std::string to_json_text(const Value& v, int indent, bool sort_keys);

}  // namespace axolotl::data::jinja
