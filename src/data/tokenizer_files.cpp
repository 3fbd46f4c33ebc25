// Reading tokenizer.model and the Hugging Face side files (FORMATS.md §2.5) into TokenizerFiles.
#include "tokenizer_files.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "axolotl/util/error.h"

namespace axolotl::data::detail {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const char* kSpecialKeys[] = {"bos_token", "eos_token", "unk_token", "pad_token",
                              "sep_token", "cls_token", "mask_token"};

std::string read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "cannot read the file", {}, {}, "check its permissions"});
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "error while reading the file", {}, {}, {}});
  return ss.str();
}

std::optional<json> read_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const std::string text = read_bytes(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number too large
    throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "malformed JSON", e.what(), {}, {}});
  }
  if (!j.is_object()) {
    throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "expected a JSON object", j.type_name(), "object", {}});
  }
  return j;
}

[[noreturn]] void bad_type(const fs::path& file, const std::string& key, const json& v, const char* expected) {
  throw IoError(Diagnostic{{file.string(), 0, 0}, key, "wrong type", std::string(v.type_name()) + " " + v.dump(),
                           expected, {}});
}

// A token given as a string or as an AddedToken dict {"content": ..., ...}.
std::string token_content(const fs::path& file, const std::string& key, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  bad_type(file, key, v, "a string or an AddedToken object with \"content\"");
}

void read_special(const fs::path& file, const json& j, TokenizerFiles& out) {
  for (const char* key : kSpecialKeys) {
    if (!j.contains(key)) continue;
    const json& v = j[key];
    SpecialSlot slot;
    slot.mentioned = true;
    if (!v.is_null()) slot.content = token_content(file, key, v);
    out.special[key] = slot;
  }
  if (j.contains("additional_special_tokens")) {
    const json& v = j["additional_special_tokens"];
    if (v.is_null()) return;
    if (!v.is_array()) bad_type(file, "additional_special_tokens", v, "a list of tokens");
    for (const auto& t : v) {
      std::string content = token_content(file, "additional_special_tokens", t);
      bool seen = false;
      for (const auto& s : out.additional_special) seen = seen || s == content;
      if (!seen) out.additional_special.push_back(std::move(content));
    }
  }
}

std::optional<bool> read_bool(const fs::path& file, const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_boolean()) bad_type(file, key, j[key], "true or false");
  return j[key].get<bool>();
}

int parse_id(const fs::path& file, const std::string& key, const std::string& text) {
  size_t used = 0;
  int id = -1;
  try {
    id = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || id < 0) {
    throw IoError(Diagnostic{{file.string(), 0, 0}, key, "token id is not a non-negative integer", text, {}, {}});
  }
  return id;
}

void read_config(const fs::path& file, const json& j, TokenizerFiles& out) {
  out.add_bos = read_bool(file, j, "add_bos_token");
  out.add_eos = read_bool(file, j, "add_eos_token");
  if (j.contains("tokenizer_class") && j["tokenizer_class"].is_string()) out.tokenizer_class = j["tokenizer_class"];
  out.clean_up_spaces = read_bool(file, j, "clean_up_tokenization_spaces").value_or(false);
  read_special(file, j, out);
  if (j.contains("added_tokens_decoder") && !j["added_tokens_decoder"].is_null()) {
    const json& dec = j["added_tokens_decoder"];
    if (!dec.is_object()) bad_type(file, "added_tokens_decoder", dec, "an object {\"<id>\": AddedToken}");
    for (const auto& [id_text, tok] : dec.items()) {
      const std::string key = "added_tokens_decoder." + id_text;
      AddedTokenSpec spec;
      spec.id = parse_id(file, key, id_text);
      spec.content = token_content(file, key, tok);
      spec.special = tok.is_object() && tok.value("special", false);
      out.added.push_back(std::move(spec));
    }
  }
}

void read_added_tokens_json(const fs::path& file, const json& j, TokenizerFiles& out) {
  for (const auto& [content, id] : j.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) bad_type(file, content, id, "a non-negative integer id");
    out.added.push_back(AddedTokenSpec{content, static_cast<int>(id.get<int64_t>()), false});
  }
}

[[noreturn]] void missing_model(const fs::path& folder) {
  std::error_code ec;
  const bool has_json = fs::exists(folder / "tokenizer.json", ec);
  Diagnostic d;
  d.where.file = (folder / "tokenizer.model").string();
  d.message = "no tokenizer.model (SentencePiece model) in " + folder.string();
  if (has_json) {
    d.found = "tokenizer.json only";
    d.hint = "tokenizer_use_fast: false asks for the SentencePiece model; remove it to use tokenizer.json";
  } else {
    d.hint = "point tokenizer_config (or base_model) at a folder holding tokenizer.model, or at the .model file";
  }
  throw IoError(d);
}

}  // namespace

TokenizerFiles read_tokenizer_files(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) {
    throw IoError(Diagnostic{{path, 0, 0}, {}, "tokenizer path does not exist", {}, {},
                             "give a folder holding tokenizer.model, or the .model file itself"});
  }
  fs::path folder;
  fs::path model;
  if (fs::is_directory(p, ec)) {
    folder = p;
    model = p / "tokenizer.model";
    if (!fs::is_regular_file(model, ec)) missing_model(folder);
  } else {
    if (p.extension() == ".json") {
      throw IoError(Diagnostic{{path, 0, 0}, {}, "a JSON tokenizer file was given, not a SentencePiece model", {},
                               "tokenizer.model", "tokenizer.json (HF fast tokenizer) files are not supported yet"});
    }
    folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    model = p;
  }
  TokenizerFiles out = read_side_files(folder.string());
  out.model_path = model.string();
  out.model_bytes = read_bytes(model);
  return out;
}

TokenizerFiles read_side_files(const std::string& folder_name) {
  const fs::path folder(folder_name);
  TokenizerFiles out;
  if (auto j = read_json(folder / "tokenizer_config.json")) read_config(folder / "tokenizer_config.json", *j, out);
  if (auto j = read_json(folder / "special_tokens_map.json")) read_special(folder / "special_tokens_map.json", *j, out);
  if (auto j = read_json(folder / "added_tokens.json")) read_added_tokens_json(folder / "added_tokens.json", *j, out);
  return out;
}

}  // namespace axolotl::data::detail
