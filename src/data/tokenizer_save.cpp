// Output tokenizer files with the config's added tokens (see tokenizer_save.h).
#include "axolotl/data/tokenizer_save.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

const char* const kFiles[] = {"tokenizer.model",         "tokenizer.json",    "tokenizer_config.json",
                              "special_tokens_map.json", "added_tokens.json", "chat_template.jinja"};
const char* const kSlots[] = {"bos_token", "eos_token", "unk_token", "pad_token"};

bool is_slot(const std::string& key) {
  return std::find(std::begin(kSlots), std::end(kSlots), key) != std::end(kSlots);
}

// The JSON object in `path`, or an empty object when the file does not exist.
ojson read_object(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return ojson::object();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "cannot read the file", {}, {}, "check its permissions"});
  std::stringstream ss;
  ss << in.rdbuf();
  ojson j;
  try {
    j = ojson::parse(ss.str());
  } catch (const ojson::exception& e) {  // parse_error, or out_of_range for a number too large
    throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "malformed JSON", e.what(), "a JSON object", {}});
  }
  if (!j.is_object()) {
    throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "expected a JSON object", j.type_name(), "object", {}});
  }
  return j;
}

void write_object(const fs::path& path, const ojson& j) { io::write_file_atomic(path.string(), j.dump(2) + "\n"); }

// transformers' AddedToken as Axolotl adds config tokens: no strip, not normalized.
ojson added_token(const TokenizerSave::Token& t, bool with_id) {
  ojson a = ojson::object();
  if (with_id) a["id"] = t.id;
  a["content"] = t.content;
  a["single_word"] = false;
  a["lstrip"] = false;
  a["rstrip"] = false;
  a["normalized"] = false;
  a["special"] = t.special;
  return a;
}

// End of the JSON string opening at t[i] == '"' (the index past its closing quote).
size_t skip_string(const std::string& t, size_t i) {
  for (++i; i < t.size() && t[i] != '"'; ++i) {
    if (t[i] == '\\') ++i;
  }
  return i + 1;
}

size_t skip_space(const std::string& t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
  return i;
}

// [open, close] of the top-level "added_tokens" array of a tokenizer.json text; npos when absent.
std::pair<size_t, size_t> added_tokens_array(const std::string& t) {
  int depth = 0;
  for (size_t i = 0; i < t.size();) {
    const char ch = t[i];
    if (ch == '"') {
      const size_t end = skip_string(t, i);
      const bool key = depth == 1 && t.compare(i, end - i, "\"added_tokens\"") == 0;
      i = end;
      if (!key) continue;
      size_t open = skip_space(t, i);
      if (open >= t.size() || t[open] != ':') continue;
      open = skip_space(t, open + 1);
      if (open >= t.size() || t[open] != '[') return {std::string::npos, std::string::npos};
      int inner = 0;
      for (size_t k = open; k < t.size();) {
        if (t[k] == '"') {
          k = skip_string(t, k);
          continue;
        }
        if (t[k] == '[' || t[k] == '{') ++inner;
        if (t[k] == ']' || t[k] == '}') {
          if (--inner == 0) return {open, k};
        }
        ++k;
      }
      return {std::string::npos, std::string::npos};
    }
    if (ch == '{' || ch == '[') ++depth;
    if (ch == '}' || ch == ']') --depth;
    ++i;
  }
  return {std::string::npos, std::string::npos};
}

// New entries go at the end of `added_tokens`, written into the text as it is (the vocabulary and
// merges keep their order and bytes; a 10 MB file is not re-serialized).
void update_tokenizer_json(const fs::path& path, const TokenizerSave& plan) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range (number)
    throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "malformed JSON", e.what(), "a tokenizer.json object", {}});
  }
  std::set<std::string> have;
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const auto& a : j["added_tokens"]) {
      if (a.is_object() && a.contains("content") && a["content"].is_string()) have.insert(a["content"].get<std::string>());
    }
  }
  std::string entries;
  for (const auto& t : plan.added) {
    if (!have.insert(t.content).second) continue;
    std::string one = added_token(t, true).dump(2), indented = "    ";
    for (char ch : one) {
      indented += ch;
      if (ch == '\n') indented += "    ";
    }
    entries += (entries.empty() ? "" : ",\n") + indented;
  }
  if (entries.empty()) return;
  const auto [open, close] = added_tokens_array(text);
  if (open == std::string::npos) {
    throw IoError(Diagnostic{{path.string(), 0, 0}, "added_tokens", "no top-level added_tokens list", {},
                             "\"added_tokens\": [...]", "the file is not a Hugging Face tokenizer.json"});
  }
  const bool empty = skip_space(text, open + 1) == close;
  size_t at = close;
  while (at > open + 1 && (text[at - 1] == ' ' || text[at - 1] == '\n' || text[at - 1] == '\r')) --at;
  text.replace(at, close - at, (empty ? "\n" : ",\n") + entries + "\n  ");
  io::write_file_atomic(path.string(), text);
}

void update_tokenizer_config(const fs::path& path, const TokenizerSave& plan) {
  ojson cfg = read_object(path);
  ojson dec = cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()
                  ? cfg["added_tokens_decoder"] : ojson::object();
  for (const auto& t : plan.added) {
    const std::string key = std::to_string(t.id);
    if (!dec.contains(key)) dec[key] = added_token(t, false);
  }
  std::vector<std::pair<int64_t, std::string>> order;  // transformers writes the ids in increasing order
  for (const auto& [key, value] : dec.items()) {
    try {
      order.emplace_back(std::stoll(key), key);
    } catch (const std::exception&) {
      order.emplace_back(INT64_MAX, key);
    }
  }
  std::stable_sort(order.begin(), order.end());
  ojson sorted = ojson::object();
  for (const auto& [id, key] : order) sorted[key] = dec[key];
  cfg["added_tokens_decoder"] = sorted;
  for (const auto& [key, value] : plan.slots) cfg[key] = value.empty() ? ojson(nullptr) : ojson(value);
  write_object(path, cfg);
}

}  // namespace

TokenizerSave plan_tokenizer_save(const std::string& tokenizer_dir, const config::TokenizerConfig& overrides,
                                  const Tokenizer* loaded) {
  TokenizerSave plan;
  std::error_code ec;
  fs::path dir = tokenizer_dir;
  if (fs::is_regular_file(dir, ec)) {
    plan.json_backend = dir.filename() == "tokenizer.json";
    dir = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  } else {
    plan.json_backend = fs::is_regular_file(dir / "tokenizer.json", ec) &&
                        (overrides.use_fast || !fs::is_regular_file(dir / "tokenizer.model", ec));
  }
  plan.source_dir = dir.string();
  for (const auto& [key, value] : overrides.special_tokens) {
    if (is_slot(key)) plan.slots[key] = value;
  }
  std::vector<std::pair<std::string, bool>> wanted;  // content, special
  for (const auto& [key, value] : overrides.special_tokens) {
    if (!value.empty()) wanted.emplace_back(value, true);
  }
  for (const auto& t : overrides.added_tokens) wanted.emplace_back(t, false);
  if (wanted.empty()) return plan;
  std::unique_ptr<Tokenizer> own;
  if (!loaded) {
    own = Tokenizer::load(tokenizer_dir, overrides);
    loaded = own.get();
  }
  // The files' own tokenizer (no config tokens): a token it already gives the same id needs no entry.
  config::TokenizerConfig plain;
  plain.use_fast = overrides.use_fast;
  const auto base = Tokenizer::load(tokenizer_dir, plain);
  std::set<std::string> seen;
  for (const auto& [content, special] : wanted) {
    if (!seen.insert(content).second) continue;
    const auto id = loaded->token_to_id(content);
    if (!id) continue;
    const auto base_id = base->token_to_id(content);
    if (base_id && *base_id == *id && (!special || base->is_special(*id))) continue;
    plan.added.push_back({content, *id, loaded->is_special(*id), !base_id.has_value()});
  }
  std::sort(plan.added.begin(), plan.added.end(),
            [](const TokenizerSave::Token& a, const TokenizerSave::Token& b) { return a.id < b.id; });
  return plan;
}

void write_tokenizer_files(const TokenizerSave& plan, const std::string& out_dir) {
  const fs::path src = plan.source_dir, out = out_dir;
  std::error_code ec;
  for (const char* name : kFiles) {
    if (!fs::exists(src / name, ec)) continue;
    if (fs::equivalent(src / name, out / name, ec)) continue;
    fs::copy_file(src / name, out / name, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      throw IoError(Diagnostic{{(out / name).string(), 0, 0}, {}, "cannot copy the tokenizer file", ec.message(),
                               {}, "check free space and permissions of the output folder"});
    }
  }
  if (plan.added.empty() && plan.slots.empty()) return;
  if (plan.json_backend && !plan.added.empty() && fs::is_regular_file(out / "tokenizer.json", ec)) {
    update_tokenizer_json(out / "tokenizer.json", plan);
  }
  update_tokenizer_config(out / "tokenizer_config.json", plan);
  ojson map = read_object(out / "special_tokens_map.json");
  for (const auto& [key, value] : plan.slots) map[key] = value.empty() ? ojson(nullptr) : ojson(value);
  if (!map.empty()) write_object(out / "special_tokens_map.json", map);
  if (!plan.json_backend) {  // the slow (sentencepiece) tokenizer's save: ids past the model's pieces
    ojson added = read_object(out / "added_tokens.json");
    for (const auto& t : plan.added) {
      if (t.new_id && !added.contains(t.content)) added[t.content] = t.id;
    }
    if (!added.empty()) write_object(out / "added_tokens.json", added);
  }
  log::debug("tokenizer", "wrote the tokenizer files of {} with {} added token(s)", out_dir, plan.added.size());
}

}  // namespace axolotl::data
