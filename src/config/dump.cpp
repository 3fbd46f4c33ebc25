// The resolved config as JSON and as nested-dialect YAML (see dump.h). Both are generated from the
// field tables, so every field appears, and YAML strings are JSON-quoted (a valid YAML form).
#include "axolotl/config/dump.h"

#include "axolotl/config/resolve.h"
#include "field.h"

namespace axolotl::config {

using detail::Json;

Json to_json(const Config& c) {
  Json root = Json::object();
  for (const auto& f : detail::fields()) {
    if (f.nested.empty() || !f.get) continue;
    auto dot = f.nested.find('.');
    if (dot == std::string::npos) {
      root[f.nested] = f.get(c);
    } else {
      root[f.nested.substr(0, dot)][f.nested.substr(dot + 1)] = f.get(c);
    }
  }
  return root;
}

namespace {

bool is_scalar(const Json& j) { return !j.is_object() && !j.is_array(); }

std::string scalar_text(const Json& j) { return j.is_null() ? "null" : j.dump(); }

bool is_flow(const Json& j) {
  if (j.empty()) return true;
  if (j.is_object()) return false;
  for (const auto& x : j) {
    if (!is_scalar(x)) return false;
  }
  return true;
}

std::string flow_text(const Json& j) {
  if (j.is_object()) return "{}";
  std::string s = "[";
  for (const auto& x : j) s += (s.size() > 1 ? ", " : "") + scalar_text(x);
  return s + "]";
}

void emit(const Json& j, int indent, std::string& out);

// Plain when it is an identifier, JSON-quoted otherwise.
std::string key_text(const std::string& k) {
  bool plain = !k.empty() && k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                                 std::string::npos;
  return plain && k != "null" && k != "true" && k != "false" ? k : Json(k).dump();
}

void emit_value(const std::string& lead, const Json& v, int indent, std::string& out) {
  if (is_scalar(v)) {
    out += lead + " " + scalar_text(v) + "\n";
  } else if (is_flow(v)) {
    out += lead + " " + flow_text(v) + "\n";
  } else {
    out += lead + "\n";
    emit(v, indent + 2, out);
  }
}

// Block YAML: maps as `key: value`, lists of maps as `- ` items, lists of scalars in flow style.
void emit(const Json& j, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) emit_value(pad + key_text(k) + ":", v, indent, out);
    return;
  }
  for (const auto& item : j) {
    if (item.is_object() && !item.empty()) {
      std::string sub;
      emit(item, indent + 2, sub);
      out += pad + "- " + sub.substr(static_cast<size_t>(indent) + 2);
    } else {
      emit_value(pad + "-", item, indent, out);
    }
  }
}

}  // namespace

std::string to_yaml(const Config& c, const std::string& header) {
  std::string out;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find('\n', start);
    if (end == std::string::npos) end = header.size();
    out += "# " + header.substr(start, end - start) + "\n";
    start = end + 1;
  }
  emit(to_json(c), 0, out);
  return out;
}

std::string json_to_yaml(const Json& j) {
  std::string out;
  if (!is_scalar(j) && !j.empty()) {
    emit(j, 0, out);
  } else {
    out = (is_scalar(j) ? scalar_text(j) : j.is_object() ? "{}" : "[]") + "\n";
  }
  return out;
}

Json summary(const Config& c) {
  Json s = Json::object();
  s["model"] = c.model.name;
  Json ds = Json::array();
  for (const auto& d : c.data.datasets) {
    ds.push_back(d.path + " (" + (d.type_name.empty() ? "pretokenized" : d.type_name) + ")");
  }
  s["datasets"] = ds;
  Json full = to_json(c);
  s["adapter"] = full["adapter"]["type"];
  if (c.adapter.type != AdapterType::kNone) {
    s["adapter"] = full["adapter"]["type"].get<std::string>() + " r=" + std::to_string(c.adapter.rank) +
                   " alpha=" + Json(c.adapter.alpha).dump() + " on " + std::to_string(c.adapter.target_modules.size()) +
                   " module kinds";
  }
  s["precision"] = full["training"]["precision"];
  s["effective_batch_size"] = effective_batch_size(c.training);
  s["world_size"] = world_size();
  return s;
}

}  // namespace axolotl::config
