// Documentation of the field tables (registry.h): one row per key, defaults read from a default Config.
#include "axolotl/config/registry.h"

#include "field.h"

namespace axolotl::config {

std::vector<FieldDoc> field_docs() {
  std::vector<FieldDoc> out;
  const Config c;
  for (const auto& f : detail::fields()) {
    out.push_back({f.nested, f.flat, f.type, f.get ? f.get(c).dump() : "", f.help});
  }
  const DatasetConfig d;
  for (const auto& f : detail::dataset_fields()) {
    std::vector<std::string> flat;
    for (const auto& k : f.flat) flat.push_back("datasets[]." + k);
    out.push_back({f.nested.empty() ? "" : "datasets[]." + f.nested, flat, f.type, f.get ? f.get(d).dump() : "",
                   f.help});
  }
  return out;
}

std::string field_table() {
  std::string s = "Config keys (nested path | Axolotl flat key | type | default: help):\n";
  for (const auto& d : field_docs()) {
    std::string flat;
    for (const auto& k : d.flat) flat += (flat.empty() ? "" : ", ") + k;
    s += "  " + (d.nested.empty() ? "-" : d.nested) + " | " + (flat.empty() ? "-" : flat) + " | " + d.type + " | " +
         (d.default_value.empty() ? "-" : d.default_value) + ": " + d.help + "\n";
  }
  return s;
}

}  // namespace axolotl::config
