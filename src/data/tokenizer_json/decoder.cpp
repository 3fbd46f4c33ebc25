// Decoders of tokenizers/src/decoders (FORMATS2.md §1.8).
#include "axolotl/data/tokenizer_json/decoder.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer_json/json_util.h"
#include "axolotl/data/tokenizer_json/regex.h"
#include "axolotl/data/tokenizer_json/utf8.h"
#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool raw, bool /*continuation*/) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      std::string plain;
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        size_t len = 0;
        const int b = unicode_to_byte(utf8_decode(t, i, &len));
        if (b < 0) all = false;
        else plain += static_cast<char>(b);
        i += len;
      }
      bytes += all ? plain : t;
    }
    tokens.assign(1, raw ? bytes : utf8_lossy(bytes));
  }
};

class Metaspace final : public Decoder {
 public:
  Metaspace(std::string replacement, bool prepend) : replacement_(std::move(replacement)), prepend_(prepend) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*raw*/, bool continuation) const override {
    for (size_t n = 0; n < tokens.size(); ++n) {
      std::string out;
      const std::string& t = tokens[n];
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, replacement_.size(), replacement_) == 0) {
          if (!(n == 0 && prepend_ && !continuation)) out += ' ';
          i += replacement_.size();
        } else {
          out += t[i++];
        }
      }
      tokens[n].swap(out);
    }
  }

 private:
  std::string replacement_;
  bool prepend_;
};

class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool raw, bool /*continuation*/) const override {
    std::vector<std::string> out;
    std::string run;
    size_t run_len = 0;
    auto flush = [&] {
      if (run_len == 0) return;
      if (raw || utf8_lossy(run) == run) out.push_back(run);
      else for (size_t k = 0; k < run_len; ++k) out.push_back("\xEF\xBF\xBD");
      run.clear();
      run_len = 0;
    };
    for (auto& t : tokens) {
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3])) &&
          std::isxdigit(static_cast<unsigned char>(t[4]))) {
        run += static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16));
        ++run_len;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool /*raw*/, bool /*continuation*/) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, all);
  }
};

class Strip final : public Decoder {
 public:
  Strip(std::string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*raw*/, bool continuation) const override {
    for (auto& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t k = 0; !continuation && k < start_ && t.compare(b, content_.size(), content_) == 0 && b < e; ++k) b += content_.size();
      for (size_t k = 0; k < stop_ && e >= b + content_.size() &&
                         t.compare(e - content_.size(), content_.size(), content_) == 0;
           ++k) {
        e -= content_.size();
      }
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  Replace(const std::string& pattern, std::string content, const std::string& where)
      : regex_(pattern, where), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*raw*/, bool /*continuation*/) const override {
    std::vector<std::pair<size_t, size_t>> m;
    for (auto& t : tokens) {
      regex_.find_all(t, m);
      if (m.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (const auto& [b, e] : m) {
        out.append(t, prev, b - prev);
        out += content_;
        prev = e;
      }
      out.append(t, prev, std::string::npos);
      t.swap(out);
    }
  }

 private:
  Regex regex_;
  std::string content_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens, bool raw, bool continuation) const override {
    for (const auto& p : parts_) p->decode_chain(tokens, raw, continuation);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = component_type(j, "decoder", where);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") {
    bool prepend = j.value("add_prefix_space", true);
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) prepend = j["prepend_scheme"] != "never";
    return std::make_unique<Metaspace>(j.value("replacement", std::string("\xE2\x96\x81")), prepend);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") {
    return std::make_unique<Strip>(string_member(j, "content", "decoder.Strip", where), j.value("start", size_t{0}),
                                   j.value("stop", size_t{0}));
  }
  if (type == "Replace") {
    return std::make_unique<Replace>(pattern_regex(j, "decoder.Replace", where),
                                     string_member(j, "content", "decoder.Replace", where), where);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const auto& child : member(j, "decoders", "decoder.Sequence", where)) {
      if (auto d = make_decoder(child, where)) parts.push_back(std::move(d));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  unsupported("decoder", type, where, "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence");
}

}  // namespace axolotl::data::tokjson
