// read_tokenizer_file: one SAX pass that fills BpeTables for model.vocab / model.merges and builds a
// JSON tree for the rest (as nlohmann's own DOM parser does); any surprise falls back to json::parse.
#include "axolotl/data/tokenizer_json/tokenizer_file.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

class TablesHandler final : public nlohmann::json_sax<json> {
 public:
  // `vocab_bytes` / `merge_bytes`: about how much of the text holds each table (for reserving).
  // `merges_only`: the text is the merges array alone (the other half of a split parse).
  TablesHandler(size_t vocab_bytes, size_t merge_bytes, bool merges_only = false) {
    tables.vocab.token_to_id.reserve(vocab_bytes / 24);  // ~24 bytes of file per vocab entry
    tables.merges.arena.reserve(merge_bytes / 2);
    tables.merges.items.reserve(merge_bytes / 16);
    if (merges_only) pending_ = Pending::kMerges;
  }

  json root;
  BpeTables tables;

  // Both tables were read (else the caller parses the plain way).
  bool complete() const { return saw_vocab_ && saw_merges_; }
  bool saw_merges() const { return saw_merges_; }

  bool null() override { return put(json(nullptr)); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return put(json(v)); }
  bool binary(binary_t&) override { return false; }

  bool number_unsigned(number_unsigned_t v) override {
    if (mode_ != Mode::kVocab) return put(json(v));
    if (v > static_cast<number_unsigned_t>(INT32_MAX)) return false;
    const auto id = static_cast<int32_t>(v);
    BpeVocab& vocab = tables.vocab;
    if (!vocab.token_to_id.insert(key_, id)) return false;  // a repeated key: the tree keeps the last one
    const auto at = static_cast<size_t>(id);
    if (at >= vocab.id_to_token.size()) {
      vocab.id_to_token.resize(std::max(at + 1, vocab.id_to_token.size() * 2));
      assigned_.resize(vocab.id_to_token.size(), false);
    }
    if (assigned_[at]) return false;  // two tokens on one id: the tree's order decides which is kept
    assigned_[at] = true;
    used_ = std::max(used_, at + 1);
    vocab.id_to_token[at] = key_;
    return true;
  }

  bool string(string_t& s) override {
    if (mode_ == Mode::kMerges || mode_ == Mode::kMergePair) {
      BpeMergeList& m = tables.merges;
      const auto off = static_cast<uint32_t>(m.arena.size()), len = static_cast<uint32_t>(s.size());
      m.arena += s;
      if (mode_ == Mode::kMerges) {
        m.items.push_back(BpeMergeList::Merge{off, len, 0, 0, false});
        return true;
      }
      if (pair_parts_ == 0) pair_.a_off = off, pair_.a_len = len;
      else if (pair_parts_ == 1) pair_.b_off = off, pair_.b_len = len;
      else return false;  // longer than a pair: the tree path names the bad merge
      ++pair_parts_;
      return true;
    }
    return put(json(std::move(s)));
  }

  bool start_object(std::size_t) override {
    if (pending_ == Pending::kVocab) {
      pending_ = Pending::kNone;
      mode_ = Mode::kVocab;
      return true;
    }
    json* o = value(json::object());
    if (o == nullptr) return false;
    stack_.push_back(o);
    return true;
  }

  bool key(string_t& k) override {
    if (mode_ == Mode::kVocab) {
      key_.swap(k);
      return true;
    }
    if (stack_.size() == 1) {
      if (k == "model" && saw_model_) return false;  // a second "model" would replace the first
      saw_model_ = saw_model_ || k == "model";
      in_model_ = k == "model";
    }
    if (stack_.size() == 2 && in_model_ && (k == "vocab" || k == "merges")) {
      if ((k == "vocab" && saw_vocab_) || (k == "merges" && saw_merges_)) return false;
      pending_ = k == "vocab" ? Pending::kVocab : Pending::kMerges;
      return true;
    }
    slot_ = &stack_.back()->get_ref<json::object_t&>()[k];
    return true;
  }

  bool end_object() override {
    if (mode_ == Mode::kVocab) {
      tables.vocab.id_to_token.resize(used_);
      mode_ = Mode::kTree;
      saw_vocab_ = true;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t) override {
    if (pending_ == Pending::kMerges) {
      pending_ = Pending::kNone;
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kMergePair;
      pair_parts_ = 0;
      return true;
    }
    json* a = value(json::array());
    if (a == nullptr) return false;
    stack_.push_back(a);
    return true;
  }

  bool end_array() override {
    if (mode_ == Mode::kMergePair) {
      if (pair_parts_ != 2) return false;
      pair_.pair = true;
      tables.merges.items.push_back(pair_);
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kTree;
      saw_merges_ = true;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum class Mode { kTree, kVocab, kMerges, kMergePair };
  enum class Pending { kNone, kVocab, kMerges };

  // Places a value of the tree; nullptr (stop) for anything inside or in place of a table.
  json* value(json&& v) {
    if (mode_ != Mode::kTree || pending_ != Pending::kNone) return nullptr;
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      auto& a = top.get_ref<json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  bool put(json&& v) { return value(std::move(v)) != nullptr; }

  Mode mode_ = Mode::kTree;
  Pending pending_ = Pending::kNone;
  std::vector<json*> stack_;
  json* slot_ = nullptr;
  bool saw_model_ = false, in_model_ = false, saw_vocab_ = false, saw_merges_ = false;
  std::string key_;
  std::vector<bool> assigned_;
  size_t used_ = 0;
  BpeMergeList::Merge pair_;
  int pair_parts_ = 0;
};

std::string read_all(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw IoError(Diagnostic{{path, 0, 0}, {}, "cannot read the file", {}, {}, "check its permissions"});
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f.get())) > 0;) text.append(buf, n);
  if (std::ferror(f.get())) {
    throw IoError(Diagnostic{{path, 0, 0}, {}, "cannot read the file", {}, {}, "check its permissions"});
  }
  return text;
}

// Both tables from one handler over the whole text.
bool parse_whole(const std::string& text, TokenizerFile& out) {
  TablesHandler h(text.size() / 3, text.size() * 2 / 3);
  if (!json::sax_parse(text, &h) || !h.complete()) return false;
  out.doc = std::move(h.root);
  out.tables = std::move(h.tables);
  return true;
}

// The merges array on a second thread while this one reads the rest with "[]" in its place.
bool parse_split(const std::string& text, std::pair<size_t, size_t> span, TokenizerFile& out) {
  const std::string_view merges_text = std::string_view(text).substr(span.first, span.second - span.first);
  TablesHandler merges(0, merges_text.size(), true);
  bool merges_ok = false;
  std::thread helper([&] {
    try {
      merges_ok = json::sax_parse(merges_text, &merges) && merges.saw_merges();
    } catch (const std::exception&) {
      merges_ok = false;
    }
  });
  std::string rest;
  rest.reserve(text.size() - merges_text.size() + 2);
  rest.append(text, 0, span.first).append("[]").append(text, span.second, std::string::npos);
  TablesHandler h(rest.size(), 0);
  bool rest_ok = false;
  try {
    rest_ok = json::sax_parse(rest, &h) && h.complete() && h.tables.merges.items.empty();
  } catch (const std::exception&) {
    rest_ok = false;
  }
  helper.join();
  if (!rest_ok || !merges_ok) return false;
  out.doc = std::move(h.root);
  out.tables = std::move(h.tables);
  out.tables->merges = std::move(merges.tables.merges);
  return true;
}

}  // namespace

std::optional<std::pair<size_t, size_t>> merges_span(std::string_view text) {
  struct Frame {
    bool object, expect_key;
  };
  std::vector<Frame> stack;
  std::string_view key1, key2;  // the current key in the root object / in the model object
  bool want_value = false;      // the next value is model.merges
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      if (j >= text.size()) return std::nullopt;
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        const std::string_view key = text.substr(i + 1, j - i - 1);
        stack.back().expect_key = false;
        if (stack.size() == 1) key1 = key;
        if (stack.size() == 2) {
          key2 = key;
          want_value = key1 == "model" && key2 == "merges";
        }
      }
      i = j;
    } else if (c == '{' || c == '[') {
      if (want_value && stack.size() == 2) {
        if (c != '[') return std::nullopt;
        start = i;
      }
      stack.push_back(Frame{c == '{', c == '{'});
    } else if (c == '}' || c == ']') {
      if (stack.empty()) return std::nullopt;
      stack.pop_back();
      if (want_value && stack.size() == 2) return std::make_pair(start, i + 1);
    } else if (c == ',') {
      if (!stack.empty() && stack.back().object) stack.back().expect_key = true;
    } else if (want_value && stack.size() == 2 && c != ':' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return std::nullopt;  // model.merges is not an array
    }
  }
  return std::nullopt;
}


TokenizerFile read_tokenizer_file(const std::string& path) {
  const std::string text = read_all(path);
  TokenizerFile out;
  constexpr size_t kSplitBytes = 1 << 20;  // below this a thread is not worth starting
  if (text.size() >= kSplitBytes && std::thread::hardware_concurrency() > 1) {
    if (const auto span = merges_span(text); span && parse_split(text, *span, out)) return out;
    out = TokenizerFile{};
  }
  if (parse_whole(text, out)) return out;
  out = TokenizerFile{};
  try {
    out.doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw IoError(Diagnostic{{path, 0, 0}, {}, "malformed JSON", e.what(), {}, {}});
  }
  return out;
}

}  // namespace axolotl::data::tokjson
