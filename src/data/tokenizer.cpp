// data::Tokenizer over sentencepiece (libaxolotl_spm.so) with HF LlamaTokenizer's added/special tokens:
// registered tokens are split out of the text (longest match first) and the text between is encoded
// with sp.encode, exactly as the slow HF tokenizer does (legacy mode; lstrip/rstrip flags ignored).
#include "axolotl/data/tokenizer.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "axolotl/data/sentencepiece_backend.h"
#include "axolotl/data/tokenizer_json/json_tokenizer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "tokenizer_files.h"

namespace axolotl::data {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁"

struct Registered {
  std::string content;
  bool special = false;
};

class SpmTokenizer final : public Tokenizer {
 public:
  SpmTokenizer(std::unique_ptr<spm::Model> sp, std::string source)
      : sp_(std::move(sp)), source_(std::move(source)), vocab_size_(sp_->piece_size()) {
    bos_ = sp_->bos_id();
    eos_ = sp_->eos_id();
    unk_ = sp_->unk_id();
  }

  // Registers `content` for splitting; reuses its id if it exists (as a piece or added token),
  // or the given id, else appends a new id. Returns the id.
  int32_t register_token(const std::string& content, std::optional<int> id, bool special) {
    if (content.empty()) return -1;
    if (auto it = by_content_.find(content); it != by_content_.end()) {
      if (special) registered_[it->second].special = true;
      return it->second;
    }
    int32_t tid = id ? *id : piece_id(content).value_or(vocab_size_);
    if (tid < sp_->piece_size() && sp_->id_to_piece(tid) != content) {
      log::warn("tokenizer", "{}: added token \"{}\" takes id {}, which is the piece \"{}\"", source_, content, tid,
                sp_->id_to_piece(tid));
    }
    vocab_size_ = std::max(vocab_size_, tid + 1);
    by_content_[content] = tid;
    registered_[tid] = Registered{content, special};
    return tid;
  }

  void set_bos(int32_t id) { bos_ = id; }
  void set_eos(int32_t id) { eos_ = id; }
  void set_unk(int32_t id) { unk_ = id; }
  void set_pad(int32_t id) { pad_ = id; }
  void set_add_bos(bool v) { add_bos_ = v; }
  void set_add_eos(bool v) { add_eos_ = v; }

  // Sorts the registered tokens for longest-first matching (call once after registering).
  void finish() {
    by_length_.clear();
    for (const auto& [content, id] : by_content_) by_length_.push_back(content);
    std::sort(by_length_.begin(), by_length_.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
    first_bytes_.fill(false);
    for (const auto& c : by_length_) first_bytes_[static_cast<unsigned char>(c[0])] = true;
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool add_eos) const override {
    std::vector<int32_t> ids;
    if (add_bos && bos_ >= 0) ids.push_back(bos_);
    size_t chunk_start = 0;
    size_t i = 0;
    while (i < text.size()) {
      const std::string* match = first_bytes_[static_cast<unsigned char>(text[i])] ? match_at(text, i) : nullptr;
      if (match == nullptr) {
        ++i;
        continue;
      }
      append_sp(text.substr(chunk_start, i - chunk_start), ids);
      ids.push_back(by_content_.at(*match));
      i += match->size();
      chunk_start = i;
    }
    append_sp(text.substr(chunk_start), ids);
    if (add_eos && eos_ >= 0) ids.push_back(eos_);
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override {
    std::string out;
    std::vector<int> run;  // consecutive sentencepiece ids, decoded together
    auto flush = [&] {
      if (run.empty()) return;
      out += sp_->decode(run);
      run.clear();
    };
    for (int32_t id : ids) {
      check_id(id);
      if (auto it = registered_.find(id); it != registered_.end()) {
        if (skip_special_tokens && it->second.special) continue;
        flush();
        out += it->second.content;
      } else if ((skip_special_tokens && is_special(id)) || id >= sp_->piece_size()) {
        continue;  // skipped, or an id in a gap between added tokens
      } else {
        run.push_back(id);
      }
    }
    flush();
    return out;
  }

  std::string token_text(int32_t id) const override {
    check_id(id);
    if (auto it = registered_.find(id); it != registered_.end()) return it->second.special ? "" : it->second.content;
    if (is_special(id) || sp_->is_unused(id)) return "";
    std::string piece = sp_->id_to_piece(id);
    if (sp_->is_byte(id)) {  // "<0xHH>"
      return std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    }
    std::string out;
    for (size_t i = 0; i < piece.size();) {
      if (piece.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
        out += ' ';
        i += kSpaceMark.size();
      } else {
        out += piece[i++];
      }
    }
    return out;
  }

  int32_t vocab_size() const override { return vocab_size_; }

  std::optional<int32_t> token_to_id(std::string_view piece) const override {
    if (auto it = by_content_.find(std::string(piece)); it != by_content_.end()) return it->second;
    return piece_id(std::string(piece));
  }

  std::string id_to_token(int32_t id) const override {
    check_id(id);
    if (auto it = registered_.find(id); it != registered_.end()) return it->second.content;
    return sp_->id_to_piece(id);
  }

  bool is_special(int32_t id) const override {
    if (id < 0 || id >= vocab_size_) return false;
    if (auto it = registered_.find(id); it != registered_.end()) return it->second.special;
    return id == bos_ || id == eos_ || id == unk_ || id == pad_ || sp_->is_control(id) || sp_->is_unknown(id);
  }

  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }
  int32_t unk_id() const override { return unk_; }
  int32_t pad_id() const override { return pad_; }
  bool add_bos() const override { return add_bos_; }
  bool add_eos() const override { return add_eos_; }

 private:
  // The id of an existing sentencepiece piece spelled exactly `piece`.
  std::optional<int32_t> piece_id(const std::string& piece) const {
    const int id = sp_->piece_to_id(piece);
    if (id >= 0 && id < sp_->piece_size() && sp_->id_to_piece(id) == piece) return id;
    return std::nullopt;
  }

  const std::string* match_at(std::string_view text, size_t i) const {
    for (const auto& c : by_length_) {
      if (text.compare(i, c.size(), c) == 0) return &c;
    }
    return nullptr;
  }

  void append_sp(std::string_view chunk, std::vector<int32_t>& ids) const {
    if (chunk.empty()) return;
    const std::vector<int> sp_ids = sp_->encode(std::string(chunk));
    ids.insert(ids.end(), sp_ids.begin(), sp_ids.end());
  }

  void check_id(int32_t id) const {
    if (id < 0 || id >= vocab_size_) {
      throw Error(Diagnostic{{source_, 0, 0}, {}, "token id out of range", std::to_string(id),
                             "0.." + std::to_string(vocab_size_ - 1), {}});
    }
  }

  std::unique_ptr<spm::Model> sp_;
  std::string source_;
  int32_t vocab_size_ = 0;
  int32_t bos_ = -1, eos_ = -1, unk_ = -1, pad_ = -1;
  bool add_bos_ = true, add_eos_ = false;
  std::unordered_map<std::string, int32_t> by_content_;  // registered token text -> id
  std::unordered_map<int32_t, Registered> registered_;   // id -> registered token
  std::vector<std::string> by_length_;                   // registered texts, longest first
  std::array<bool, 256> first_bytes_{};                   // first bytes of registered texts
};

// The token string for a special slot: overrides > special_tokens_map.json > tokenizer_config.json.
std::optional<std::string> special_slot(const detail::TokenizerFiles& files, const config::TokenizerConfig& overrides,
                                        const std::string& key, bool* mentioned) {
  *mentioned = false;
  if (auto it = overrides.special_tokens.find(key); it != overrides.special_tokens.end()) {
    *mentioned = true;
    return it->second.empty() ? std::nullopt : std::optional<std::string>(it->second);
  }
  if (auto it = files.special.find(key); it != files.special.end() && it->second.mentioned) {
    *mentioned = true;
    return it->second.content;
  }
  return std::nullopt;
}

}  // namespace

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& path, const config::TokenizerConfig& overrides) {
  // As Axolotl by default: the fast tokenizer (tokenizer.json) when the folder has one.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_regular_file(p, ec) && p.filename() == "tokenizer.json") {
    return tokjson::load_json_tokenizer(p.parent_path().empty() ? "." : p.parent_path().string(), overrides);
  }
  if (fs::is_directory(p, ec) && fs::is_regular_file(p / "tokenizer.json", ec) &&
      (overrides.use_fast || !fs::is_regular_file(p / "tokenizer.model", ec))) {
    return tokjson::load_json_tokenizer(path, overrides);
  }
  detail::TokenizerFiles files = detail::read_tokenizer_files(path);
  std::string error;
  std::unique_ptr<spm::Model> sp = spm::load_module().load(files.model_bytes, &error);
  if (!sp) {
    throw IoError(Diagnostic{{files.model_path, 0, 0}, {}, "not a valid SentencePiece model", error, {},
                             "tokenizer.model must be a serialized sentencepiece ModelProto (Llama-1/2 style)"});
  }
  auto tok = std::make_unique<SpmTokenizer>(std::move(sp), files.model_path);
  for (const auto& a : files.added) tok->register_token(a.content, a.id, a.special);

  // A slot set to null (or "" in the overrides) means none; an unmentioned slot keeps the model's id.
  auto slot_id = [&](const char* key, int32_t current) {
    bool mentioned = false;
    auto content = special_slot(files, overrides, key, &mentioned);
    if (content) return tok->register_token(*content, {}, true);
    return mentioned ? -1 : current;
  };
  tok->set_bos(slot_id("bos_token", tok->bos_id()));
  tok->set_eos(slot_id("eos_token", tok->eos_id()));
  tok->set_unk(slot_id("unk_token", tok->unk_id()));
  // HF registers the model's own bos/eos/unk pieces as special added tokens even without side files.
  for (int32_t id : {tok->bos_id(), tok->eos_id(), tok->unk_id()}) {
    if (id >= 0) tok->register_token(tok->id_to_token(id), id, true);
  }
  tok->set_pad(slot_id("pad_token", -1));

  for (const auto& s : files.additional_special) tok->register_token(s, {}, true);
  for (const auto& [key, value] : overrides.special_tokens) {
    if (key != "bos_token" && key != "eos_token" && key != "unk_token" && key != "pad_token") {
      tok->register_token(value, {}, true);
    }
  }
  for (const auto& t : overrides.added_tokens) tok->register_token(t, {}, false);

  tok->set_add_bos(overrides.add_bos_token.value_or(files.add_bos.value_or(true)));
  tok->set_add_eos(overrides.add_eos_token.value_or(files.add_eos.value_or(false)));
  tok->finish();
  log::debug("tokenizer", "loaded {}: vocab {} (bos {}, eos {}, unk {}, pad {})", files.model_path, tok->vocab_size(),
             tok->bos_id(), tok->eos_id(), tok->unk_id(), tok->pad_id());
  return tok;
}

}  // namespace axolotl::data
