// Loading a config: YAML (either dialect) -> Config through the field tables, then command-line
// overrides, then derived values and cross-field checks; every problem is gathered into one
// ConfigError. Dialect rule: a root key that is a nested section (model:, training:, ... or
// `adapter:` holding a map) makes the file nested; a flat Axolotl key makes it flat; the first such
// key decides, and keys of the other dialect are errors. datasets, test_datasets, strict and the
// Python-only keys belong to both.
#include "axolotl/config/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "axolotl/config/resolve.h"
#include "checks.h"
#include "field.h"
#include "foreign_keys.h"
#include "yaml_reader.h"

namespace axolotl::config {

namespace detail {
namespace {

struct Index {
  std::unordered_map<std::string, const Field*> nested;
  std::unordered_map<std::string, const Field*> flat;
  std::set<std::string> sections;             // first parts of nested paths: model, training, ...
  std::vector<std::string> flat_names;        // for "did you mean" in the flat dialect
  std::vector<std::string> root_nested_names;  // sections and root-level nested keys
};

const Index& index() {
  static const Index ix = [] {
    Index i;
    for (const auto& f : fields()) {
      if (!f.nested.empty()) {
        i.nested[f.nested] = &f;
        auto dot = f.nested.find('.');
        if (dot != std::string::npos) i.sections.insert(f.nested.substr(0, dot));
        else i.root_nested_names.push_back(f.nested);
      }
      for (const auto& k : f.flat) {
        i.flat[k] = &f;
        i.flat_names.push_back(k);
      }
    }
    i.root_nested_names.push_back("dataset");
    i.root_nested_names.insert(i.root_nested_names.end(), i.sections.begin(), i.sections.end());
    for (const auto& k : foreign_key_names()) i.flat_names.push_back(k);
    return i;
  }();
  return ix;
}

std::string path_of(const Field& f) { return f.nested.empty() ? f.flat.front() : f.nested; }

// Sets one field from a node; null means "unset" (the default, or a file value for overrides: reset).
void apply(const Field& f, Config& c, const YAML::Node& value, const YAML::Node& key_node, State& st,
           const std::string& key, bool reset_on_null) {
  if (value.IsNull()) {
    if (reset_on_null && f.reset) f.reset(c);
    return;
  }
  size_t before = st.problems().size() + st.suppressed();
  f.set(c, value, st, key);
  if (st.problems().size() + st.suppressed() != before) st.mark_bad(path_of(f));
  st.set_where(path_of(f), st.at(key_node));
}

bool truthy(const YAML::Node& n) {
  if (n.IsNull()) return false;
  if (n.IsScalar()) {
    bool b = true;
    return !(n.Scalar().empty() || (read_bool(n, b) && !b) || n.Scalar() == "0");
  }
  return n.size() > 0;
}

// A Python-only key: a note, or an error when it would change the result.
void apply_foreign(const ForeignKey& fk, const std::string& key, const YAML::Node& value, const YAML::Node& key_node,
                   State& st) {
  if (fk.changes_result) {
    if (truthy(value)) {
      st.error(st.at(key_node), key, "not supported", describe(value), "absent or empty", fk.text);
    }
    return;
  }
  if (value.IsNull() && !fk.deprecated) return;
  std::string msg = std::string("accepted, ignored: ") + fk.text;
  if (fk.deprecated) msg += " (deprecated in Axolotl too)";
  // One warning per reason: keys sharing it (wandb_project, wandb_entity, ...) are named together.
  for (auto& n : st.notes()) {
    if (n.message == msg) {
      n.key += ", " + key;
      return;
    }
  }
  st.note(st.at(key_node), key, msg);
}

std::string nested_spelling_hint(const std::string& flat_key) {
  auto it = index().flat.find(flat_key);
  if (it == index().flat.end()) return {};
  const Field& f = *it->second;
  if (f.nested.empty()) {
    if (flat_key == "bf16" || flat_key == "fp16") return "the nested dialect writes training.precision";
    return "the nested dialect writes model.dtype";
  }
  return "the nested dialect writes " + f.nested;
}

// "the flat dialect writes model.name as base_model, ..." for a nested section found in a flat file.
std::string flat_spellings_of(const std::string& section) {
  std::string s;
  int n = 0;
  for (const auto& f : fields()) {
    if (f.nested.compare(0, section.size() + 1, section + ".") != 0 || f.flat.empty() || n >= 3) continue;
    s += (n++ ? ", " : "") + f.nested + " as " + f.flat.front();
  }
  return s.empty() ? "" : "the flat dialect writes " + s + ", ...";
}

enum class Dialect { kUnknown, kFlat, kNested };

Dialect dialect_of(const std::string& key, const YAML::Node& value) {
  const Index& ix = index();
  if (key == "adapter") return value.IsMap() ? Dialect::kNested : value.IsNull() ? Dialect::kUnknown : Dialect::kFlat;
  if (ix.sections.count(key) || key == "dataset") return Dialect::kNested;
  if (ix.nested.count(key)) return Dialect::kUnknown;  // datasets, test_datasets, strict
  if (ix.flat.count(key)) return Dialect::kFlat;
  return Dialect::kUnknown;
}

void read_nested_section(const std::string& section, const YAML::Node& map, Config& c, State& st) {
  const Index& ix = index();
  if (!map.IsMap()) {
    st.error(st.at(map), section, "a section must be a map", describe(map), "keys under " + section + ":");
    return;
  }
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    const std::string path = section + "." + key;
    auto it = ix.nested.find(path);
    if (it != ix.nested.end()) {
      apply(*it->second, c, kv.second, kv.first, st, path, false);
      continue;
    }
    std::vector<std::string> names;
    for (const auto& [p, f] : ix.nested) {
      if (p.compare(0, section.size() + 1, section + ".") == 0) names.push_back(p.substr(section.size() + 1));
    }
    std::string guess = did_you_mean(key, names);
    std::string hint = guess.empty() ? "" : "did you mean '" + section + "." + guess + "'?";
    if (guess.empty() && ix.flat.count(key)) hint = nested_spelling_hint(key);
    st.error(st.at(kv.first), path, "unknown key", "'" + key + "'", "a key of " + section + ":", hint);
  }
}

// False when the root is not a map (nothing was read).
bool read_root(const YAML::Node& root, Config& c, State& st) {
  const Index& ix = index();
  if (!root.IsMap()) {
    Location where = st.at(root);
    if (where.line == 0) where = Location{st.source(), 1, 1};
    st.error(where, {}, root.IsNull() ? "empty config" : "the config must be a map of keys", describe(root),
             "key: value lines", "start from `axolotl init --preset tiny`");
    return false;
  }
  Dialect dialect = Dialect::kUnknown;
  std::string decided_by;
  for (const auto& kv : root) {
    Dialect d = dialect_of(kv.first.Scalar(), kv.second);
    if (d != Dialect::kUnknown) {
      dialect = d;
      decided_by = "'" + kv.first.Scalar() + "' at " + st.at(kv.first).str();
      break;
    }
  }
  st.flat = dialect != Dialect::kNested;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& value = kv.second;
    Dialect d = dialect_of(key, value);
    if (d != Dialect::kUnknown && d != dialect) {
      std::string hint = d == Dialect::kFlat ? nested_spelling_hint(key) : flat_spellings_of(key);
      st.error(st.at(kv.first), key, "mixes dialects",
               d == Dialect::kFlat ? "Axolotl's flat key" : "a nested section",
               std::string("the ") + (dialect == Dialect::kFlat ? "flat" : "nested") + " dialect, as decided by " +
                   decided_by,
               hint);
      continue;
    }
    if (!st.flat) {
      if (ix.sections.count(key)) {
        read_nested_section(key, value, c, st);
        continue;
      }
      auto it = ix.nested.find(key == "dataset" ? "datasets" : key);
      if (it != ix.nested.end()) {
        apply(*it->second, c, value, kv.first, st, key, false);
        continue;
      }
    } else {
      auto it = ix.flat.find(key);
      if (it != ix.flat.end()) {
        apply(*it->second, c, value, kv.first, st, key, false);
        continue;
      }
    }
    if (const ForeignKey* fk = find_foreign_key(key)) {
      apply_foreign(*fk, key, value, kv.first, st);
      continue;
    }
    // Past the cap on shown problems (suppressed > 0) a guess would not be printed: skip the search.
    std::string guess = st.suppressed() > 0 ? "" : did_you_mean(key, st.flat ? ix.flat_names : ix.root_nested_names);
    st.error(st.at(kv.first), key, "unknown key", "'" + key + "'", {},
             guess.empty() ? "" : "did you mean '" + guess + "'?");
  }
  return true;
}

// "key=value": key nested (training.learning_rate) or flat (learning_rate), value parsed as YAML.
void apply_override(const std::string& text, Config& c, State& st) {
  const Index& ix = index();
  st.set_source("override '" + text + "'");
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    st.error(Location{st.source(), 0, 0}, {}, "an override must be KEY=VALUE", "'" + text + "'",
             "e.g. learning_rate=1e-4 or training.learning_rate=1e-4");
    return;
  }
  const std::string key = text.substr(0, eq);
  YAML::Node value;
  if (!parse_yaml(text.substr(eq + 1), st, value)) return;
  const Field* f = nullptr;
  if (auto it = ix.nested.find(key == "dataset" ? "datasets" : key); it != ix.nested.end()) {
    f = it->second;
    // datasets / test_datasets / strict are spelt alike in both dialects: keep the file's dialect.
    bool common = std::find(f->flat.begin(), f->flat.end(), key) != f->flat.end();
    if (!common) st.flat = false;
  } else if (auto jt = ix.flat.find(key); jt != ix.flat.end()) {
    f = jt->second;
    st.flat = true;
  }
  if (f) {
    apply(*f, c, value, value, st, key, true);
    return;
  }
  if (const ForeignKey* fk = find_foreign_key(key)) {
    apply_foreign(*fk, key, value, value, st);
    return;
  }
  std::vector<std::string> all = ix.flat_names;
  for (const auto& [p, unused] : ix.nested) all.push_back(p);
  std::string guess = did_you_mean(key, all);
  st.error(Location{st.source(), 0, 0}, key, "unknown key in override", "'" + key + "'", {},
           guess.empty() ? "" : "did you mean '" + guess + "'?");
}

}  // namespace
}  // namespace detail

LoadResult load_string(const std::string& yaml, const std::string& name, const std::vector<std::string>& overrides) {
  detail::State st(name);
  LoadResult r;
  r.config.source_file = name;
  YAML::Node root;
  bool parsed = detail::parse_yaml(yaml, st, root);
  if (parsed) parsed = detail::read_root(root, r.config, st);
  const bool file_flat = st.flat;
  for (const auto& o : overrides) {
    st.flat = file_flat;
    detail::apply_override(o, r.config, st);
  }
  st.set_source(name);
  if (parsed) {
    detail::derive_config(r.config, st);
    resolve(r.config, cpu_has_bf16());
    detail::check_config(r.config, st);
  }
  if (!st.problems().empty()) {
    auto problems = std::move(st.problems());
    // File order first (by line), then overrides, keeping the reading order within a line.
    std::stable_sort(problems.begin(), problems.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      auto rank = [&](const Diagnostic& d) { return std::make_pair(d.where.file == name ? 0 : 1, d.where.line); };
      return rank(a) < rank(b);
    });
    if (st.suppressed() > 0) {
      problems.push_back(Diagnostic{Location{name, 0, 0}, {}, std::to_string(st.suppressed()) +
                                    " more problems not shown", {}, {}, "fix the ones above first"});
    }
    throw ConfigError(std::move(problems));
  }
  r.notes = std::move(st.notes());
  return r;
}

LoadResult load_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw IoError(Diagnostic{Location{path, 0, 0}, {}, "is a folder, not a config file", {}, {}, {}});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot open the config file", {}, {},
                             "check the path; `axolotl init --preset tiny --output my.yml` writes a starter config"});
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot read the config file", {}, {}, {}});
  return load_string(ss.str(), path, overrides);
}

}  // namespace axolotl::config
