// Tokenizer metadata for GGUF (see tokenizer_metadata.h; llama.cpp convert_hf_to_gguf.py, gguf-py
// vocab.py; bpe_pre.h for the pre-tokenizer name).
#include "axolotl/export/tokenizer_metadata.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/data/sentencepiece_backend.h"
#include "axolotl/export/bpe_pre.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::gguf {
namespace fs = std::filesystem;
namespace {

constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw IoError(Diagnostic{Location{p.string(), 0, 0}, {}, "cannot read file", {}, {}, {}});
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json_if(const fs::path& p) {
  if (!fs::exists(p)) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(read_bytes(p));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(Diagnostic{Location{p.string(), 0, 0}, {}, "not valid JSON", e.what(), {}, {}});
  }
}

// "<|im_end|>" or {"content": "<|im_end|>", ...} -> the text; "" for null/absent.
std::string token_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return {};
}

// [PAD{i}] fillers, score -10000 as _create_vocab_sentencepiece / Phi3MiniModel.set_vocab initialise them.
void pad_vocab(TokenizerMetadata& t, int64_t vocab_size, bool scores) {
  for (auto i = static_cast<int64_t>(t.tokens.size()); i < vocab_size; ++i) {
    t.tokens.push_back("[PAD" + std::to_string(i) + "]");
    t.types.push_back(kUnused);
    if (scores) t.scores.push_back(-10000.f);
  }
}

void read_spm(TokenizerMetadata& t, const fs::path& model_file) {
  std::string error;
  auto model = data::spm::load_module().load(read_bytes(model_file), &error);
  if (!model) throw IoError(Diagnostic{Location{model_file.string(), 0, 0}, {}, "not a sentencepiece model", error, {}, {}});
  t.model = "llama";
  for (int i = 0; i < model->piece_size(); ++i) {
    t.tokens.push_back(model->id_to_piece(i));
    t.scores.push_back(model->score(i));
    int32_t type = kNormal;
    if (model->is_unknown(i)) type = kUnknown;
    else if (model->is_control(i)) type = kControl;
    else if (model->is_unused(i)) type = kUnused;
    else if (model->is_byte(i)) type = kByte;
    t.types.push_back(type);
  }
  t.bos = model->bos_id();
  t.eos = model->eos_id();
  t.unk = model->unk_id();
  if (model->pad_id() >= 0) t.pad = model->pad_id();
}

// llama.cpp's name for the tokenizer's chkhsh (bpe_pre.h); an unknown hash is refused unless overridden.
void choose_pre(TokenizerMetadata& t, const fs::path& dir, const std::string& override_name) {
  t.pre_hash = bpe_pre_hash(dir.string());
  t.pre = bpe_pre_for_hash(t.pre_hash);
  if (!override_name.empty()) {
    if (!is_known_bpe_pre(override_name)) {
      throw UsageError(Diagnostic{{}, "--tokenizer-pre", "not a pre-tokenizer name llama.cpp knows", override_name,
                                  "e.g. llama-bpe, qwen2, gpt-2, smollm, tekken, default", {}});
    }
    if (!t.pre.empty() && t.pre != override_name) {
      log::warn("export", "tokenizer.ggml.pre: {} given, but the chkhsh {} is llama.cpp's {}", override_name,
                t.pre_hash, t.pre);
    }
    t.pre = override_name;
    return;
  }
  if (t.pre.empty()) {
    throw Error(Diagnostic{Location{(dir / "tokenizer.json").string(), 0, 0}, "tokenizer.ggml.pre",
                           "llama.cpp does not know this BPE pre-tokenizer (its converter refuses it too)",
                           "chkhsh " + t.pre_hash, "a hash of convert_hf_to_gguf.py get_vocab_base_pre",
                           "if the tokenizer splits text like a known one, name it: --tokenizer-pre llama-bpe|qwen2|gpt-2|..."});
  }
  log::info("export", "tokenizer.ggml.pre = {} (chkhsh {})", t.pre, t.pre_hash);
}

void read_bpe(TokenizerMetadata& t, const fs::path& file, const std::string& pre_override) {
  const auto j = read_json_if(file);
  const auto& m = j.value("model", nlohmann::json::object());
  if (m.value("type", "") != "BPE" || !m.contains("vocab")) {
    throw IoError(Diagnostic{Location{file.string(), 0, 0}, "model.type", "not a BPE tokenizer.json",
                             m.value("type", "?"), "BPE", {}});
  }
  std::map<int64_t, std::string> by_id;
  for (const auto& [tok, id] : m["vocab"].items()) by_id[id.get<int64_t>()] = tok;
  std::map<int64_t, bool> added;  // id -> special
  for (const auto& a : j.value("added_tokens", nlohmann::json::array())) {
    const int64_t id = a.value("id", int64_t{-1});
    if (id < 0) continue;
    by_id[id] = a.value("content", "");
    added[id] = a.value("special", false);
  }
  t.model = "gpt2";
  // GGUF's "gpt2" vocabulary is byte-level BPE. A sentencepiece-style tokenizer.json (Metaspace, byte
  // fallback: Gemma, Llama-2) would be written with "▁" pieces llama.cpp then mis-reads.
  const std::string pre_and_decoder =
      j.value("pre_tokenizer", nlohmann::json()).dump() + j.value("decoder", nlohmann::json()).dump();
  if (pre_and_decoder.find("\"ByteLevel\"") == std::string::npos) {
    throw IoError(Diagnostic{Location{file.string(), 0, 0}, "pre_tokenizer", "not a byte-level BPE tokenizer.json",
                             "no ByteLevel pre-tokenizer or decoder", "ByteLevel (GGUF tokenizer model gpt2)",
                             "put the checkpoint's sentencepiece tokenizer.model beside it (GGUF model llama)"});
  }
  choose_pre(t, file.parent_path(), pre_override);
  const int64_t n = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  for (int64_t i = 0; i < n; ++i) {
    auto it = by_id.find(i);
    if (it == by_id.end()) {
      t.tokens.push_back("[PAD" + std::to_string(i) + "]");
      t.types.push_back(kUnused);
      continue;
    }
    t.tokens.push_back(it->second);
    auto a = added.find(i);
    const std::string& s = it->second;
    const bool looks_special = s.size() > 4 && s.compare(0, 2, "<|") == 0 && s.compare(s.size() - 2, 2, "|>") == 0;
    t.types.push_back(a == added.end() ? kNormal : (a->second || looks_special) ? kControl : kUserDefined);
  }
  for (const auto& mg : m.value("merges", nlohmann::json::array())) {
    if (mg.is_string()) {
      t.merges.push_back(mg.get<std::string>());
    } else if (mg.is_array() && mg.size() == 2) {
      auto part = [](std::string s) {  // a literal space inside a part becomes U+0120 (convert_hf_to_gguf)
        std::string out;
        for (char c : s) out += c == ' ' ? std::string("\xc4\xa0") : std::string(1, c);
        return out;
      };
      t.merges.push_back(part(mg[0].get<std::string>()) + " " + part(mg[1].get<std::string>()));
    }
  }
}

int64_t find_token(const TokenizerMetadata& t, const std::string& text) {
  if (text.empty()) return -1;
  for (size_t i = 0; i < t.tokens.size(); ++i) {
    if (t.tokens[i] == text) return static_cast<int64_t>(i);
  }
  return -1;
}

// Phi3MiniModel.set_vocab: tokenizer.json's added_tokens also overwrite SPM ids (score -1000,
// CONTROL when special, else USER_DEFINED), after added_tokens_decoder.
void spm_added_from_json(TokenizerMetadata& t, const fs::path& file) {
  const auto j = read_json_if(file);
  for (const auto& a : j.value("added_tokens", nlohmann::json::array())) {
    const int64_t i = a.value("id", int64_t{-1});
    if (i < 0 || i >= static_cast<int64_t>(t.tokens.size())) continue;
    t.tokens[i] = a.value("content", t.tokens[i]);
    t.scores[i] = -1000.f;
    t.types[i] = a.value("special", false) ? kControl : kUserDefined;
  }
}

}  // namespace

int64_t converter_vocab_rows(const std::string& dir, int64_t vocab_size) {
  const fs::path d(dir);
  if (fs::exists(d / "tokenizer.model")) return vocab_size;
  if (!fs::exists(d / "tokenizer.json")) {
    throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "no tokenizer.model or tokenizer.json", {}, {},
                             "the GGUF file needs the tokenizer of the model"});
  }
  const auto j = read_json_if(d / "tokenizer.json");
  int64_t n = 0;
  if (j.contains("model") && j["model"].contains("vocab") && j["model"]["vocab"].is_object()) n += j["model"]["vocab"].size();
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) n += j["added_tokens"].size();
  return n;
}

TokenizerMetadata read_tokenizer_metadata(const std::string& dir, const std::string& config_dir, int64_t vocab_size,
                                          const TokenizerOptions& options) {
  TokenizerMetadata t;
  const fs::path d(dir);
  if (fs::exists(d / "tokenizer.model")) {
    read_spm(t, d / "tokenizer.model");
    const auto added = read_json_if(d / "added_tokens.json");
    for (const auto& [text, id] : added.items()) {
      const auto i = id.get<int64_t>();
      if (i >= static_cast<int64_t>(t.tokens.size())) pad_vocab(t, i + 1, true);
      t.tokens[i] = text;
      t.types[i] = kUserDefined;
      t.scores[i] = -1000.f;
    }
  } else if (fs::exists(d / "tokenizer.json")) {
    read_bpe(t, d / "tokenizer.json", options.pre_override);
  } else {
    throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "no tokenizer.model or tokenizer.json", {}, {},
                             "the GGUF file needs the tokenizer of the model"});
  }
  const auto tc = read_json_if(d / "tokenizer_config.json");
  // added_tokens_decoder: special -> CONTROL, else USER_DEFINED (convert_hf_to_gguf).
  if (tc.contains("added_tokens_decoder") && tc["added_tokens_decoder"].is_object()) {
    for (const auto& [key, a] : tc["added_tokens_decoder"].items()) {
      const int64_t i = std::stoll(key);
      if (i < 0) continue;
      if (i >= static_cast<int64_t>(t.tokens.size())) pad_vocab(t, i + 1, t.model == "llama");
      t.tokens[i] = a.value("content", t.tokens[i]);
      t.types[i] = a.value("special", false) ? kControl : kUserDefined;
      if (t.model == "llama") t.scores[i] = -1000.f;
    }
  }
  if (vocab_size > static_cast<int64_t>(t.tokens.size())) pad_vocab(t, vocab_size, t.model == "llama");
  if (t.model == "llama" && options.added_from_tokenizer_json && fs::exists(d / "tokenizer.json")) {
    spm_added_from_json(t, d / "tokenizer.json");
  }
  if (t.model == "llama" && options.no_space_prefix) t.add_space_prefix = 0;

  // Special ids: tokenizer_config *_token first, then config.json *_token_id (gguf-py SpecialVocab).
  const auto cfg = read_json_if(fs::path(config_dir) / "config.json");
  auto special = [&](const char* token_key, const char* id_key, int64_t& out) {
    if (tc.contains(token_key)) {
      const int64_t id = find_token(t, token_text(tc[token_key]));
      if (id >= 0) {
        out = id;
        return;
      }
    }
    if (cfg.contains(id_key)) {
      const auto& v = cfg[id_key];
      if (v.is_number_integer()) out = v.get<int64_t>();
      else if (v.is_array() && !v.empty() && v[0].is_number_integer()) out = v[0].get<int64_t>();
    }
  };
  special("bos_token", "bos_token_id", t.bos);
  special("eos_token", "eos_token_id", t.eos);
  special("unk_token", "unk_token_id", t.unk);
  special("pad_token", "pad_token_id", t.pad);
  // gguf-py SpecialVocab._set_special_token skips ids outside the vocabulary (llama.cpp would not load them).
  const std::pair<const char*, int64_t*> ids[] = {{"bos", &t.bos}, {"eos", &t.eos}, {"unk", &t.unk}, {"pad", &t.pad}};
  for (const auto& [name, id] : ids) {
    if (*id >= static_cast<int64_t>(t.tokens.size())) {
      log::warn("export", "special token {} id {} is outside the vocabulary of {} tokens: not written", name, *id,
                t.tokens.size());
      *id = -1;
    }
  }
  if (tc.contains("add_bos_token") && tc["add_bos_token"].is_boolean()) t.add_bos = tc["add_bos_token"].get<bool>();
  if (tc.contains("add_eos_token") && tc["add_eos_token"].is_boolean()) t.add_eos = tc["add_eos_token"].get<bool>();
  if (tc.contains("chat_template") && tc["chat_template"].is_string()) {
    t.chat_template = tc["chat_template"].get<std::string>();
  } else if (fs::exists(d / "chat_template.jinja")) {
    t.chat_template = read_bytes(d / "chat_template.jinja");
  }
  if (t.eos >= 0 && t.eos < static_cast<int64_t>(t.tokens.size())) t.stop_tokens.push_back(t.tokens[t.eos]);
  for (const char* eot : {"<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|endoftext|>"}) {
    if (find_token(t, eot) >= 0 && (t.stop_tokens.empty() || t.stop_tokens[0] != eot)) t.stop_tokens.push_back(eot);
  }
  return t;
}

std::vector<std::string> tokens_missing_for_name(const std::string& name, const TokenizerMetadata& t) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("phi3") == std::string::npos && lower.find("phi-3") == std::string::npos) return {};
  std::vector<std::string> missing;
  for (const char* tok : {"</s>", "<unk>", "<s>", "<|endoftext|>"}) {
    if (find_token(t, tok) < 0) missing.emplace_back(tok);
  }
  return missing;
}

void write_tokenizer_metadata(const TokenizerMetadata& t, GgufWriter& w) {
  w.set("tokenizer.ggml.model", Value::str(t.model));
  w.set("tokenizer.ggml.pre", Value::str(t.model == "llama" ? "default" : t.pre));
  w.set("tokenizer.ggml.tokens", Value::strs(t.tokens));
  if (!t.scores.empty()) w.set("tokenizer.ggml.scores", Value::f32s(t.scores));
  w.set("tokenizer.ggml.token_type", Value::i32s(t.types));
  if (!t.merges.empty()) w.set("tokenizer.ggml.merges", Value::strs(t.merges));
  auto id = [&](const char* key, int64_t v) {
    if (v >= 0) w.set(key, Value::u32(static_cast<uint32_t>(v)));
  };
  id("tokenizer.ggml.bos_token_id", t.bos);
  id("tokenizer.ggml.eos_token_id", t.eos);
  id("tokenizer.ggml.unknown_token_id", t.unk);
  id("tokenizer.ggml.padding_token_id", t.pad);
  if (t.add_bos >= 0) w.set("tokenizer.ggml.add_bos_token", Value::boolean(t.add_bos != 0));
  if (t.add_eos >= 0) w.set("tokenizer.ggml.add_eos_token", Value::boolean(t.add_eos != 0));
  if (!t.chat_template.empty()) w.set("tokenizer.chat_template", Value::str(t.chat_template));
  if (t.add_space_prefix >= 0) w.set("tokenizer.ggml.add_space_prefix", Value::boolean(t.add_space_prefix != 0));
}

}  // namespace axolotl::gguf
