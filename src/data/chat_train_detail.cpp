// Character-span training details to token masks, as Axolotl's ChatTemplatePrompter does it
// (get_offsets_for_train_detail, adjust_train_details, ChatTemplateStrategy._convert_content_parts).
#include "axolotl/data/chat_train_detail.h"

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "row_error.h"

namespace axolotl::data {

namespace {

using jinja::Dict;
using jinja::List;
using jinja::Value;

long code_points(const std::string& s) {
  long n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

long offset_field(const Dict& d, const char* key, const std::string& where) {
  const Value* v = d.find(key);
  if (!v || !v->is_int() || v->is_bool()) {
    row_error(where + "." + key, "training detail needs an integer character offset",
                 v ? v->type_name() : "missing", "an int");
  }
  return static_cast<long>(v->as_int());
}

}  // namespace

std::vector<TrainSpan> parse_train_detail(const Value& v, const std::string& where) {
  if (!v.is_list()) row_error(where, "training detail must be a list of spans", v.type_name(),
                                 "[{begin_offset, end_offset, train}, ...]");
  std::vector<TrainSpan> out;
  for (size_t i = 0; i < v.list().size(); ++i) {
    const Value& e = v.list()[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!e.is_dict()) row_error(at, "training detail span must be an object", e.type_name());
    TrainSpan s;
    s.begin = offset_field(e.dict(), "begin_offset", at);
    s.end = offset_field(e.dict(), "end_offset", at);
    const Value* t = e.dict().find("train");
    if (!t) row_error(at + ".train", "training detail span needs `train`", "missing", "true or false");
    s.train = t->truthy();
    out.push_back(s);
  }
  return out;
}

std::vector<long> token_char_starts(const Tokenizer& tok, const std::string& text, const std::vector<int32_t>& ids,
                                    const std::string& where) {
  std::vector<size_t> byte_start;
  std::string joined;
  for (int32_t id : ids) {
    byte_start.push_back(joined.size());
    joined += tok.is_special(id) ? tok.id_to_token(id) : tok.token_text(id);
  }
  long shift = 0;
  if (joined != text) {
    // sentencepiece's dummy prefix: the first piece's "▁" is not in the text
    if (joined.size() == text.size() + 1 && joined[0] == ' ' && joined.compare(1, std::string::npos, text) == 0) {
      shift = 1;
    } else {
      row_error(where, "cannot align the tokens of this message with its characters (the tokenizer's "
                          "normalizer changes the text), so character training details cannot be applied",
                   text.substr(0, 60));
    }
  }
  std::vector<long> char_at(text.size() + 1, 0);  // byte -> index of the character holding it
  long c = -1;
  for (size_t b = 0; b < text.size(); ++b) {
    if ((static_cast<unsigned char>(text[b]) & 0xC0) != 0x80) ++c;
    char_at[b] = c < 0 ? 0 : c;
  }
  char_at[text.size()] = c + 1;
  std::vector<long> out;
  for (size_t b : byte_start) {
    long at = static_cast<long>(b) - shift;
    out.push_back(char_at[static_cast<size_t>(at < 0 ? 0 : at)]);
  }
  return out;
}

std::vector<bool> train_detail_mask(const Tokenizer& tok, const std::string& text,
                                    const std::vector<TrainSpan>& details, const std::string& where) {
  auto ids = tok.encode(text, false, false);
  const long n = static_cast<long>(ids.size());
  std::vector<bool> out(ids.size(), false);
  if (n == 0) return out;
  auto starts = token_char_starts(tok, text, ids, where);
  // Token i spans [start_i, start_{i+1} - 1]; the last ends at len(text) - 1.
  std::vector<std::pair<long, long>> off(ids.size());
  for (long i = 0; i < n; ++i) off[i] = {starts[i], i + 1 < n ? starts[i + 1] - 1 : code_points(text) - 1};

  std::vector<TrainSpan> adjusted;
  for (const auto& d : details) {
    long bt = n;
    for (long i = 0; i < n; ++i) {
      if (off[i].first >= d.begin) {
        bt = i;
        break;
      }
    }
    if (bt > 0 && off[bt - 1].second > d.begin) --bt;
    long et = -1;
    for (long i = n - 1; i >= 0; --i) {
      if (off[i].second <= d.end) {
        et = i;
        break;
      }
    }
    if (et < n - 1 && off[et + 1].first < d.end) ++et;
    if (bt <= et) {
      TrainSpan a{off[bt].first, off[et].second, d.train};
      if (a.begin != d.begin || a.end != d.end) {
        log::warn("data", "{}: training detail ({}, {}) widened to token boundaries ({}, {})", where, d.begin, d.end,
                  a.begin, a.end);
      }
      adjusted.push_back(a);
    } else {
      log::warn("data", "{}: training detail ({}, {}) matches no token; skipped", where, d.begin, d.end);
    }
  }
  for (long i = 0; i < n; ++i) {
    for (const auto& a : adjusted) {
      if (a.train && off[i].first >= a.begin && off[i].second <= a.end) out[i] = true;
    }
  }
  return out;
}

ContentParts convert_content_parts(const List& parts) {
  ContentParts out;
  std::vector<std::string> texts;
  std::vector<bool> trains;
  long offset = 0;
  for (const auto& part : parts) {
    if (!part.is_dict()) continue;
    std::string text;
    for (const char* k : {"text", "content", "value"}) {  // part.get("text") or part.get("content") or ...
      const Value* v = part.dict().find(k);
      if (v && v->truthy()) {
        text = v->to_output();
        break;
      }
    }
    texts.push_back(text);
    const Value* t = part.dict().find("train");
    const Value* w = part.dict().find("weight");
    bool train = true;  // gated by the turn's own should_train
    if ((t && !t->is_none()) || (w && !w->is_none())) {
      out.explicit_training = true;
      train = t && !t->is_none() ? t->truthy() : !(w->is_number() && w->as_float() == 0.0);
    }
    if (!text.empty()) {
      long len = code_points(text);
      Dict d;
      d.set("begin_offset", Value(static_cast<int64_t>(offset)));
      d.set("end_offset", Value(static_cast<int64_t>(offset + len - 1)));
      d.set("train", Value(train));
      out.details.emplace_back(std::move(d));
      trains.push_back(train);
      offset += len;
    }
    out.text += text;
  }
  if (out.explicit_training) {
    for (size_t i = 0; i + 1 < trains.size(); ++i) {
      const std::string& b = texts[i];  // Axolotl indexes the parts here, as we do
      if (trains[i] != trains[i + 1] && !b.empty() && (b.back() == ' ' || b.back() == '\t')) {
        log::warn("data", "content part {} ends with whitespace at a train/mask boundary; BPE tokenizers join the "
                          "space to the next word, so that token is masked. Move the whitespace to the start of the "
                          "next part.", i);
      }
    }
  } else {
    out.details.clear();
  }
  return out;
}

}  // namespace axolotl::data
