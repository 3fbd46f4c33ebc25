// tokenizer.json post-processors (FORMATS2.md §1.7) reduced to what a single sequence needs: the
// special ids put before and after it. TemplateProcessing, RobertaProcessing, BertProcessing,
// ByteLevel (ids unchanged) and Sequence; other types are an Error naming them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::data::tokjson {

struct SingleTemplate {
  std::vector<int32_t> prefix;  // ids before $A
  std::vector<int32_t> suffix;  // ids after $A
};

// Null JSON gives an empty template.
SingleTemplate make_single_template(const nlohmann::json& j, const std::string& where);

}  // namespace axolotl::data::tokjson
