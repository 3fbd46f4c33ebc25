// Regex over Oniguruma 6 (onig_new / onig_search with a per-call region).
#include "axolotl/data/tokenizer_json/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "axolotl/util/error.h"

namespace axolotl::data::tokjson {

struct Regex::Impl {
  regex_t* re = nullptr;
};

namespace {
void init_onig() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}
// One match region per thread, reused by every search.
struct ThreadRegion {
  OnigRegion* region = onig_region_new();
  ~ThreadRegion() { onig_region_free(region, 1); }
};
}  // namespace

Regex::Regex(const std::string& pattern, const std::string& where) : impl_(std::make_unique<Impl>()) {
  init_onig();
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  const int r = onig_new(&impl_->re, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                         ONIG_SYNTAX_RUBY, &info);
  if (r != ONIG_NORMAL) {
    OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(msg, r, &info);
    impl_->re = nullptr;
    throw Error(Diagnostic{{where, 0, 0}, {}, "invalid regex", pattern, "an Oniguruma (Ruby syntax) pattern",
                           reinterpret_cast<const char*>(msg)});
  }
}

Regex::~Regex() {
  if (impl_ && impl_->re) onig_free(impl_->re);
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  out.clear();
  const auto* str = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = str + text.size();
  thread_local ThreadRegion holder;
  OnigRegion* region = holder.region;
  size_t start = 0;
  while (start <= text.size()) {
    const int r = onig_search(impl_->re, str, end, str + start, end, region, ONIG_OPTION_NONE);
    if (r < 0) break;
    const auto b = static_cast<size_t>(region->beg[0]);
    const auto e = static_cast<size_t>(region->end[0]);
    if (e > b) {
      out.emplace_back(b, e);
      start = e;
    } else {  // an empty match: step over one character
      if (b >= text.size()) break;
      const auto c = static_cast<unsigned char>(text[b]);
      start = b + (c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4);
    }
    onig_region_clear(region);
  }
}

std::string Regex::escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}-/ #\t\n\r").find(c) != std::string_view::npos) {
      if (c == '\t') out += "\\t";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else (out += '\\') += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace axolotl::data::tokjson
