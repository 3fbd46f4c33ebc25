// read_tokenizer_file: the table scanner for model.vocab / model.merges and a SAX pass for the rest;
// else one SAX pass that fills the tables and builds a JSON tree of the rest (as nlohmann's own DOM
// parser does); any surprise there falls back to json::parse.
#include "axolotl/data/tokenizer_json/tokenizer_file.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "axolotl/data/tokenizer_json/table_scanner.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

class TablesHandler final : public nlohmann::json_sax<json> {
 public:
  // `vocab_bytes` / `merge_bytes`: about how much of the text holds each table (for reserving).
  TablesHandler(size_t vocab_bytes, size_t merge_bytes) {
    tables.vocab.token_to_id.reserve(vocab_bytes / 24);  // ~24 bytes of file per vocab entry
    tables.merges.arena.reserve(merge_bytes / 2);
    tables.merges.items.reserve(merge_bytes / 16);
  }

  json root;
  BpeTables tables;

  // Both tables were read (else the caller parses the plain way).
  bool complete() const { return saw_vocab_ && saw_merges_; }

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
  if (std::fseek(f.get(), 0, SEEK_END) == 0) {  // one read into a buffer of the file's size
    const long size = std::ftell(f.get());
    if (size > 0) text.resize(static_cast<size_t>(size));
    std::rewind(f.get());
    text.resize(std::fread(text.data(), 1, text.size(), f.get()));
  }
  char buf[1 << 16];  // whatever is left (a file that grew, or one that cannot seek)
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

// The tables by the fast scanner (merges on a second thread when large), the rest of the document
// by the SAX handler with {} and [] in their places.
bool parse_scanned(const std::string& text, std::pair<Span, Span> spans, TokenizerFile& out) {
  const Span vocab_span = spans.first, merges_span = spans.second;
  const std::string_view view(text);
  BpeTables tables;
  bool merges_ok = false;
  auto scan = [&] {
    merges_ok = scan_merges(view.substr(merges_span.first, merges_span.second - merges_span.first), tables.merges);
  };
  constexpr size_t kThreadBytes = 1 << 20;  // below this a second thread is not worth starting
  std::thread helper;
  if (merges_span.second - merges_span.first >= kThreadBytes && std::thread::hardware_concurrency() > 1) {
    helper = std::thread(scan);
  }
  bool rest_ok = false;
  TablesHandler h(0, 0);
  std::exception_ptr error;
  try {
    const bool vocab_ok =
        scan_vocab(view.substr(vocab_span.first, vocab_span.second - vocab_span.first), tables.vocab);
    const bool vocab_first = vocab_span.first < merges_span.first;
    const Span first = vocab_first ? vocab_span : merges_span, second = vocab_first ? merges_span : vocab_span;
    std::string rest;
    rest.reserve(text.size() - (first.second - first.first) - (second.second - second.first) + 4);
    rest.append(view.substr(0, first.first)).append(vocab_first ? "{}" : "[]");
    rest.append(view.substr(first.second, second.first - first.second)).append(vocab_first ? "[]" : "{}");
    rest.append(view.substr(second.second));
    rest_ok = vocab_ok && json::sax_parse(rest, &h) && h.complete() && h.tables.vocab.id_to_token.empty() &&
              h.tables.merges.items.empty();
  } catch (...) {
    error = std::current_exception();
  }
  if (helper.joinable()) helper.join();
  else if (!error) scan();
  if (error) std::rethrow_exception(error);
  if (!rest_ok || !merges_ok) return false;
  out.doc = std::move(h.root);
  out.tables = std::move(tables);
  return true;
}

}  // namespace

TokenizerFile read_tokenizer_file(const std::string& path) {
  const std::string text = read_all(path);
  TokenizerFile out;
  if (const auto spans = table_spans(text); spans && parse_scanned(text, *spans, out)) return out;
  out = TokenizerFile{};
  if (parse_whole(text, out)) return out;
  out = TokenizerFile{};
  try {
    out.doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number too large
    throw IoError(Diagnostic{{path, 0, 0}, {}, "malformed JSON", e.what(), {}, {}});
  }
  return out;
}

}  // namespace axolotl::data::tokjson
