// Post-processors of tokenizers/src/processors (FORMATS2.md §1.7), single-sequence part.
#include "axolotl/data/tokenizer_json/post_processor.h"

#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

int32_t pair_id(const json& j, const char* key, const std::string& where) {
  const json& v = member(j, key, "post_processor", where);
  if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer()) {
    throw Error(Diagnostic{{where, 0, 0}, std::string("post_processor.") + key, "wrong shape", v.dump(),
                           "[\"token\", id]", {}});
  }
  return v[1].get<int32_t>();
}

SingleTemplate from_template(const json& j, const std::string& where) {
  SingleTemplate t;
  const json& specials = j.contains("special_tokens") ? j["special_tokens"] : json::object();
  bool seen_a = false;
  for (const json& piece : member(j, "single", "post_processor.TemplateProcessing", where)) {
    if (piece.contains("Sequence")) {
      seen_a = true;
      continue;
    }
    if (!piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id")) {
      throw Error(Diagnostic{{where, 0, 0}, "post_processor.single", "unknown template piece", piece.dump(),
                             "{\"SpecialToken\": ...} or {\"Sequence\": ...}", {}});
    }
    const std::string name = piece["SpecialToken"]["id"].get<std::string>();
    if (!specials.contains(name) || !specials[name].contains("ids")) {
      throw Error(Diagnostic{{where, 0, 0}, "post_processor.special_tokens", "template token without ids", name,
                             "an entry in special_tokens", {}});
    }
    auto& dst = seen_a ? t.suffix : t.prefix;
    for (const auto& id : specials[name]["ids"]) dst.push_back(id.get<int32_t>());
  }
  return t;
}

}  // namespace

SingleTemplate make_single_template(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = component_type(j, "post_processor", where);
  if (type == "TemplateProcessing") return from_template(j, where);
  if (type == "ByteLevel") return {};
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    return SingleTemplate{{pair_id(j, "cls", where)}, {pair_id(j, "sep", where)}};
  }
  if (type == "Sequence") {
    SingleTemplate t;
    for (const json& child : member(j, "processors", "post_processor.Sequence", where)) {
      SingleTemplate c = make_single_template(child, where);  // wraps what the earlier ones produced
      c.prefix.insert(c.prefix.end(), t.prefix.begin(), t.prefix.end());
      t.suffix.insert(t.suffix.end(), c.suffix.begin(), c.suffix.end());
      t.prefix = std::move(c.prefix);
    }
    return t;
  }
  unsupported("post_processor", type, where, "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence");
}

}  // namespace axolotl::data::tokjson
