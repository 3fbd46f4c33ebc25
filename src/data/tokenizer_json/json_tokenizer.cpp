// JsonTokenizer: the encode pipeline of tokenizers/src/tokenizer/mod.rs (FORMATS2.md §1.6) over the
// components in this folder, and decode through the decoder chain.
#include "axolotl/data/tokenizer_json/json_tokenizer.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "../tokenizer_files.h"
#include "axolotl/data/tokenizer_json/added_vocabulary.h"
#include "axolotl/data/tokenizer_json/bpe_model.h"
#include "axolotl/data/tokenizer_json/decoder.h"
#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/data/tokenizer_json/normalizer.h"
#include "axolotl/data/tokenizer_json/post_processor.h"
#include "axolotl/data/tokenizer_json/pre_tokenizer.h"
#include "axolotl/data/tokenizer_json/tokenizer_file.h"
#include "axolotl/data/tokenizer_json/utf8.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::data::tokjson {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// transformers' clean_up_tokenization (tokenization_utils_base.py).
std::string clean_up_spaces(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    const std::string f(from), t(to);
    for (size_t i = s.find(f); i != std::string::npos; i = s.find(f, i + t.size())) s.replace(i, f.size(), t);
  }
  return s;
}

class JsonTokenizer final : public Tokenizer {
 public:
  JsonTokenizer(const json& j, std::optional<BpeTables> tables, std::string source)
      : source_(std::move(source)),
        model_(tables ? BpeModel(member(j, "model", "tokenizer.json", source_), std::move(*tables), source_)
                      : BpeModel(member(j, "model", "tokenizer.json", source_), source_)),
        normalizer_(make_normalizer(j.value("normalizer", json()), source_)),
        pre_tokenizer_(make_pre_tokenizer(j.value("pre_tokenizer", json()), source_)),
        decoder_(make_decoder(j.value("decoder", json()), source_)),
        file_template_(make_single_template(j.value("post_processor", json()), source_)),
        has_post_processor_(j.contains("post_processor") && !j["post_processor"].is_null()),
        vocab_size_(model_.size()) {
    if (j.value("version", std::string()) != "1.0") {
      throw Error(Diagnostic{{source_, 0, 0}, "version", "unknown tokenizer.json version",
                             j.contains("version") ? j["version"].dump() : "none", "\"1.0\"", {}});
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const json& a : j["added_tokens"]) {
        AddedToken t;
        t.content = string_member(a, "content", "added_tokens", source_);
        t.special = a.value("special", false);
        t.single_word = a.value("single_word", false);
        t.lstrip = a.value("lstrip", false);
        t.rstrip = a.value("rstrip", false);
        t.normalized = a.value("normalized", !t.special);
        add_token(t, a.contains("id") ? std::optional<int32_t>(a["id"].get<int32_t>()) : std::nullopt);
      }
    }
    unk_ = model_.unk_id().value_or(-1);
  }

  // Registers an added token (reusing the id of an equal added token or vocab entry); returns its id.
  int32_t add_token(AddedToken t, std::optional<int32_t> file_id) {
    if (t.content.empty()) return -1;
    if (auto it = added_by_content_.find(t.content); it != added_by_content_.end()) {
      if (t.special) added_[it->second].special = true;
      return added_[it->second].id;
    }
    if (auto v = model_.token_to_id(t.content)) t.id = *v;
    else t.id = file_id && *file_id >= model_.size() ? *file_id : vocab_size_;
    if (file_id && *file_id != t.id) {
      log::warn("tokenizer", "{}: added token \"{}\" has id {} in the file but takes {}", source_, t.content, *file_id,
                t.id);
    }
    vocab_size_ = std::max(vocab_size_, t.id + 1);
    added_by_content_[t.content] = added_.size();
    added_by_id_[t.id] = added_.size();
    added_.push_back(std::move(t));
    return added_.back().id;
  }

  // The id of `content` as a special token, adding it when it is new.
  int32_t special_id(const std::string& content) {
    AddedToken t;
    t.content = content;
    t.special = true;
    return add_token(t, std::nullopt);
  }

  // Builds the matchers; call once after every token is registered.
  void finish() {
    for (size_t i = 0; i < added_.size(); ++i) {
      const AddedToken& t = added_[i];
      if (!t.normalized) {
        raw_matcher_.add(t.content, i);
      } else {
        std::string pattern = t.content;
        if (normalizer_) normalizer_->normalize(pattern);
        normalized_matcher_.add(pattern, i);
      }
    }
  }

  void set_policy(int32_t bos, int32_t eos, int32_t pad, std::optional<bool> add_bos, std::optional<bool> add_eos,
                  bool rebuild, bool rebuild_bos_default, bool clean_up) {
    bos_ = bos;
    eos_ = eos;
    pad_ = pad;
    clean_up_ = clean_up;
    if (rebuild || !has_post_processor_) {  // FORMATS2.md §1.9: TemplateProcessing from the flags
      template_ = SingleTemplate{};
      if (add_bos.value_or(rebuild_bos_default) && bos_ >= 0) template_.prefix.push_back(bos_);
      if (add_eos.value_or(false) && eos_ >= 0) template_.suffix.push_back(eos_);
    } else {
      template_ = file_template_;
    }
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool add_eos) const override {
    std::vector<int32_t> ids;
    if (add_bos) {
      if (!template_.prefix.empty()) ids = template_.prefix;
      else if (bos_ >= 0) ids.push_back(bos_);
    }
    thread_local std::vector<Segment> segments;
    std::vector<Segment> raw_segments;
    if (raw_matcher_.empty()) raw_segments.push_back(Segment{text, -1, 0});
    else raw_matcher_.split(text, added_, raw_segments);
    for (const Segment& seg : raw_segments) {
      if (seg.id >= 0) {
        ids.push_back(seg.id);
        continue;
      }
      std::string normalized(seg.text);
      if (normalizer_) normalizer_->normalize(normalized);
      if (normalized_matcher_.empty()) {
        encode_plain(normalized, seg.offset == 0, ids);
        continue;
      }
      normalized_matcher_.split(normalized, added_, segments);
      for (const Segment& sub : segments) {
        if (sub.id >= 0) ids.push_back(sub.id);
        else encode_plain(std::string(sub.text), seg.offset == 0 && sub.offset == 0, ids);
      }
    }
    if (add_eos) {
      if (!template_.suffix.empty()) ids.insert(ids.end(), template_.suffix.begin(), template_.suffix.end());
      else if (eos_ >= 0) ids.push_back(eos_);
    }
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
      check_id(id);
      if (auto it = added_by_id_.find(id); it != added_by_id_.end()) {
        if (skip_special_tokens && added_[it->second].special) continue;
        tokens.push_back(added_[it->second].content);
      } else if (id < model_.size()) {
        tokens.push_back(model_.id_to_token(id));
      }
    }
    std::string out;
    if (decoder_) {
      decoder_->decode_chain(tokens, false, false);
      for (const auto& t : tokens) out += t;
    } else {
      for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    }
    out = utf8_lossy(out);
    return clean_up_ ? clean_up_spaces(std::move(out)) : out;
  }

  std::string token_text(int32_t id) const override {
    check_id(id);
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) {
      return added_[it->second].special ? "" : added_[it->second].content;
    }
    if (id >= model_.size()) return "";
    std::vector<std::string> tokens{model_.id_to_token(id)};
    if (!decoder_) return tokens[0];
    decoder_->decode_chain(tokens, true, true);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
  }

  int32_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> token_to_id(std::string_view piece) const override {
    if (auto it = added_by_content_.find(std::string(piece)); it != added_by_content_.end()) {
      return added_[it->second].id;
    }
    return model_.token_to_id(piece);
  }
  std::string id_to_token(int32_t id) const override {
    check_id(id);
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return added_[it->second].content;
    return model_.id_to_token(id);
  }
  bool is_special(int32_t id) const override {
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return added_[it->second].special;
    return id >= 0 && (id == bos_ || id == eos_ || id == pad_ || id == unk_);
  }
  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }
  int32_t unk_id() const override { return unk_; }
  int32_t pad_id() const override { return pad_; }
  bool add_bos() const override { return !template_.prefix.empty(); }
  bool add_eos() const override { return !template_.suffix.empty(); }

 private:
  void encode_plain(std::string text, bool at_start, std::vector<int32_t>& ids) const {
    if (text.empty()) return;
    thread_local std::vector<Piece> pieces;
    pieces.clear();
    pieces.push_back(Piece{std::move(text), at_start});
    if (pre_tokenizer_) pre_tokenizer_->split(pieces);
    for (const Piece& p : pieces) model_.encode_word(p.text, ids);
  }

  void check_id(int32_t id) const {
    if (id < 0 || id >= vocab_size_) {
      throw Error(Diagnostic{{source_, 0, 0}, {}, "token id out of range", std::to_string(id),
                             "0.." + std::to_string(vocab_size_ - 1), {}});
    }
  }

  std::string source_;
  BpeModel model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  SingleTemplate file_template_, template_;
  bool has_post_processor_;
  int32_t vocab_size_;
  std::vector<AddedToken> added_;
  std::unordered_map<std::string, size_t> added_by_content_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  TokenMatcher raw_matcher_, normalized_matcher_;
  int32_t bos_ = -1, eos_ = -1, unk_ = -1, pad_ = -1;
  bool clean_up_ = false;
};

bool rebuilds_post_processor(const std::string& cls) {
  return cls == "LlamaTokenizer" || cls == "LlamaTokenizerFast" || cls == "GemmaTokenizer" ||
         cls == "GemmaTokenizerFast" || cls == "CodeLlamaTokenizer" || cls == "CodeLlamaTokenizerFast";
}

}  // namespace

std::unique_ptr<Tokenizer> load_json_tokenizer(const std::string& folder, const config::TokenizerConfig& overrides) {
  const auto start = std::chrono::steady_clock::now();
  auto since = [&start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const fs::path path = fs::path(folder) / "tokenizer.json";
  TokenizerFile file = read_tokenizer_file(path.string());
  const double parsed = since();
  const bool fast = file.tables.has_value();
  auto tok = std::make_unique<JsonTokenizer>(file.doc, std::move(file.tables), path.string());
  const double modelled = since();
  const detail::TokenizerFiles files = detail::read_side_files(folder);
  for (const auto& a : files.added) {
    AddedToken t;
    t.content = a.content;
    t.special = a.special;
    t.normalized = !a.special;
    tok->add_token(t, a.id);
  }
  // Slot precedence: overrides > special_tokens_map.json > tokenizer_config.json; "" or null = none.
  auto slot = [&](const std::string& key) -> int32_t {
    if (auto it = overrides.special_tokens.find(key); it != overrides.special_tokens.end()) {
      return it->second.empty() ? -1 : tok->special_id(it->second);
    }
    if (auto it = files.special.find(key); it != files.special.end() && it->second.mentioned) {
      return it->second.content ? tok->special_id(*it->second.content) : -1;
    }
    return -1;
  };
  const int32_t bos = slot("bos_token"), eos = slot("eos_token"), pad = slot("pad_token");
  slot("unk_token");
  for (const auto& s : files.additional_special) tok->special_id(s);
  for (const auto& [key, value] : overrides.special_tokens) {
    if (key != "bos_token" && key != "eos_token" && key != "unk_token" && key != "pad_token") tok->special_id(value);
  }
  for (const auto& t : overrides.added_tokens) {
    AddedToken a;
    a.content = t;
    tok->add_token(a, std::nullopt);
  }
  const std::optional<bool> add_bos = overrides.add_bos_token ? overrides.add_bos_token : files.add_bos;
  const std::optional<bool> add_eos = overrides.add_eos_token ? overrides.add_eos_token : files.add_eos;
  const bool class_rebuilds = rebuilds_post_processor(files.tokenizer_class);
  tok->set_policy(bos, eos, pad, add_bos, add_eos, add_bos.has_value() || add_eos.has_value() || class_rebuilds,
                  class_rebuilds, files.clean_up_spaces);
  tok->finish();
  log::debug("tokenizer", "loaded {}: vocab {} (bos {}, eos {}, pad {}, add_bos {}, add_eos {})", path.string(),
             tok->vocab_size(), tok->bos_id(), tok->eos_id(), tok->pad_id(), tok->add_bos(), tok->add_eos());
  log::debug("tokenizer", "load took {:.3f} s: read and parse {:.3f} s ({}), model {:.3f} s, the rest {:.3f} s",
             since(), parsed, fast ? "vocab/merges tables" : "plain JSON tree", modelled - parsed, since() - modelled);
  return tok;
}

}  // namespace axolotl::data::tokjson
