// Validation of a safetensors buffer: every check of the reference reader, in its order
// (FORMATS.md §1.3, safetensors/src/tensor.rs read_metadata + Metadata::validate). The JSON is read
// with a SAX handler so duplicate names, wrong types and out-of-range integers are caught exactly.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"
#include "json_text.h"

namespace axolotl::io {
namespace {

using detail::invalid_utf8_at;

[[noreturn]] void fail(const std::string& file, const std::string& tensor, std::string message,
                       std::string found = {}, std::string expected = {}, std::string hint = {}) {
  throw IoError(Diagnostic{Location{file, 0, 0}, tensor, std::move(message), std::move(found),
                           std::move(expected), std::move(hint)});
}

std::string shorten(std::string s, size_t max = 80) {
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::string all_dtype_names() {
  std::string s;
  for (int i = 0; i <= static_cast<int>(DType::kU64); ++i) {
    if (!s.empty()) s += ", ";
    s += dtype_name(static_cast<DType>(i));
  }
  return s;
}

using Json = nlohmann::json;

// Builds tensors and metadata from the header JSON. Any deviation from the schema stops the parse
// with `message`/`found`/`expected` set (serde would fail with InvalidHeaderDeserialization).
class HeaderSax : public nlohmann::json_sax<Json> {
 public:
  enum class Ctx { kBeforeTop, kTop, kMetadata, kTensor, kShape, kOffsets, kSkip, kDone };

  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  std::string tensor, message, found, expected;

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t v) override {
    if (v < 0) return number("a negative integer " + std::to_string(v), 0, false);
    return number(std::to_string(v), static_cast<uint64_t>(v), true);
  }
  bool number_unsigned(number_unsigned_t v) override { return number(std::to_string(v), v, true); }
  bool number_float(number_float_t, const string_t& text) override {
    return number("the number " + shorten(text), 0, false);
  }
  bool string(string_t& v) override {
    if (ctx_ == Ctx::kMetadata) {
      metadata[field_] = v;
      return true;
    }
    if (ctx_ == Ctx::kTensor && field_ == "dtype") {
      if (parse_dtype(v, &cur_.dtype)) return true;
      return error("unknown dtype", "\"" + shorten(v) + "\"", "one of " + all_dtype_names());
    }
    return scalar("a string");
  }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool start_object(std::size_t) override {
    switch (ctx_) {
      case Ctx::kBeforeTop: ctx_ = Ctx::kTop; return true;
      case Ctx::kTop:
        if (key_ == "__metadata__") {
          ctx_ = Ctx::kMetadata;
          return true;
        }
        cur_ = TensorInfo{};
        cur_.name = key_;
        seen_fields_.clear();
        ctx_ = Ctx::kTensor;
        return true;
      case Ctx::kTensor:
        if (known_field()) break;
        ctx_ = Ctx::kSkip, skip_depth_ = 1;
        return true;
      case Ctx::kSkip: ++skip_depth_; return true;
      default: break;
    }
    return scalar("an object");
  }
  bool start_array(std::size_t) override {
    if (ctx_ == Ctx::kTensor && (field_ == "shape" || field_ == "data_offsets")) {
      ints_.clear();
      ctx_ = field_ == "shape" ? Ctx::kShape : Ctx::kOffsets;
      return true;
    }
    if (ctx_ == Ctx::kTensor && !known_field()) {
      ctx_ = Ctx::kSkip, skip_depth_ = 1;
      return true;
    }
    if (ctx_ == Ctx::kSkip) return ++skip_depth_, true;
    return scalar("an array");
  }
  bool key(string_t& k) override {
    switch (ctx_) {
      case Ctx::kTop:
        key_ = k;
        if (!top_keys_.insert(k).second) {
          tensor = k;
          return error("duplicate name in header", "\"" + shorten(k) + "\" twice", "unique names");
        }
        return true;
      case Ctx::kMetadata:
        field_ = k;
        if (metadata.count(k) != 0) return error("duplicate __metadata__ key", "\"" + shorten(k) + "\" twice", "unique keys");
        return true;
      case Ctx::kTensor:
        field_ = k;
        if (!seen_fields_.insert(k).second) {
          tensor = cur_.name;
          return error("duplicate field in tensor entry", "\"" + shorten(k) + "\" twice", "each field once");
        }
        return true;
      default: return true;  // kSkip
    }
  }
  bool end_object() override {
    switch (ctx_) {
      case Ctx::kTop: ctx_ = Ctx::kDone; return true;
      case Ctx::kMetadata: ctx_ = Ctx::kTop; return true;
      case Ctx::kTensor:
        for (const char* f : {"dtype", "shape", "data_offsets"}) {
          if (seen_fields_.count(f) == 0) {
            tensor = cur_.name;
            return error(std::string("missing field \"") + f + "\"", {}, "dtype, shape and data_offsets");
          }
        }
        tensors.push_back(std::move(cur_));
        ctx_ = Ctx::kTop;
        return true;
      case Ctx::kSkip: return end_skip();
      default: return error("malformed header", {}, {});  // unreachable for well-formed JSON
    }
  }
  bool end_array() override {
    if (ctx_ == Ctx::kShape) {
      cur_.shape.assign(ints_.begin(), ints_.end());
      ctx_ = Ctx::kTensor;
      return true;
    }
    if (ctx_ == Ctx::kOffsets) {
      if (ints_.size() != 2) {
        tensor = cur_.name;
        return error("data_offsets must have two entries", std::to_string(ints_.size()) + " entries",
                     "[BEGIN, END]");
      }
      cur_.begin = ints_[0], cur_.end = ints_[1];
      ctx_ = Ctx::kTensor;
      return true;
    }
    if (ctx_ == Ctx::kSkip) return end_skip();
    return error("malformed header", {}, {});
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception&) override {
    return error("invalid JSON in header", "a syntax error at header byte " + std::to_string(position) +
                                               " near '" + shorten(last_token, 40) + "'",
                 "a JSON object");
  }

 private:
  bool known_field() const { return field_ == "dtype" || field_ == "shape" || field_ == "data_offsets"; }

  bool end_skip() {
    if (--skip_depth_ == 0) ctx_ = Ctx::kTensor;
    return true;
  }

  bool number(const std::string& text, uint64_t v, bool non_negative_int) {
    if (ctx_ == Ctx::kShape || ctx_ == Ctx::kOffsets) {
      if (!non_negative_int || v > kMaxSafetensorsInt) {
        tensor = cur_.name;
        return error(std::string("invalid ") + (ctx_ == Ctx::kShape ? "shape" : "data_offsets") + " entry",
                     text, "an integer in [0, 2^48-1]");
      }
      ints_.push_back(v);
      return true;
    }
    return scalar(non_negative_int ? "the number " + text : text);
  }

  // A scalar (or a container where none fits) arrived; fine only when skipping an unknown field.
  bool scalar(const std::string& what) {
    if (ctx_ == Ctx::kSkip) return true;
    if (ctx_ == Ctx::kTensor && !known_field()) return true;
    switch (ctx_) {
      case Ctx::kBeforeTop: return error("header is not a JSON object", what, "an object");
      case Ctx::kTop:
        if (key_ == "__metadata__") {
          if (what == "null") return true;  // Option<HashMap>: null means no metadata
          return error("__metadata__ must be an object of strings", what, "an object");
        }
        tensor = key_;
        return error("tensor entry is not an object", what, "{\"dtype\", \"shape\", \"data_offsets\"}");
      case Ctx::kMetadata:
        return error("__metadata__ value for key \"" + shorten(field_) + "\" is not a string", what,
                     "a string (the reference reader accepts only strings)");
      case Ctx::kTensor:
        tensor = cur_.name;
        return error("invalid type for \"" + field_ + "\"", what,
                     field_ == "dtype" ? "a dtype string" : "an array of integers");
      case Ctx::kShape:
      case Ctx::kOffsets:
        tensor = cur_.name;
        return error("invalid array entry", what, "an integer in [0, 2^48-1]");
      default: return error("malformed header", what, {});
    }
  }

  bool error(std::string m, std::string f, std::string e) {
    bool in_tensor = ctx_ == Ctx::kTensor || ctx_ == Ctx::kShape || ctx_ == Ctx::kOffsets;
    if (tensor.empty() && in_tensor) tensor = cur_.name;
    if (message.empty()) message = std::move(m), found = std::move(f), expected = std::move(e);
    return false;
  }

  Ctx ctx_ = Ctx::kBeforeTop;
  std::string key_, field_;
  std::set<std::string> top_keys_, seen_fields_;
  TensorInfo cur_;
  std::vector<uint64_t> ints_;
  int skip_depth_ = 0;
};

}  // namespace

SafetensorsHeader parse_safetensors(const uint8_t* bytes, size_t size, const std::string& file) {
  // 1. The 8-byte length prefix.
  if (size < 8) fail(file, {}, "file too small for a safetensors header", std::to_string(size) + " bytes", "at least 8");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  // 2. Header length cap.
  if (n > kMaxHeaderSize) {
    fail(file, {}, "safetensors header too large", "N = " + std::to_string(n) + " bytes",
         "at most " + std::to_string(kMaxHeaderSize), "is this a safetensors file?");
  }
  // 3. The header must lie inside the file (n <= 1e8, so 8 + n cannot overflow).
  if (8 + n > size) {
    fail(file, {}, "invalid safetensors header length",
         "N = " + std::to_string(n) + " in a file of " + std::to_string(size) + " bytes",
         "8 + N <= file size", "the file may be truncated");
  }
  const uint8_t* text = bytes + 8;
  // 4. UTF-8.
  if (size_t bad = invalid_utf8_at(text, n); bad != detail::kValidUtf8) {
    fail(file, {}, "invalid UTF-8 in safetensors header", "byte " + std::to_string(bad) + " of the header",
         "UTF-8 text");
  }
  // 5. JSON of the expected shape (a UTF-8 BOM is not JSON whitespace for serde_json).
  HeaderSax sax;
  bool ok = !(n >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF);
  if (!ok) sax.message = "invalid JSON in header", sax.found = "a byte-order mark", sax.expected = "'{'";
  // nlohmann's lexer takes a NUL byte as the end of input; in JSON it is never valid raw.
  if (const void* nul = ok ? std::memchr(text, 0, n) : nullptr) {
    ok = false;
    sax.message = "invalid JSON in header";
    sax.found = "a NUL byte at header byte " + std::to_string(static_cast<const uint8_t*>(nul) - text);
    sax.expected = "JSON text";
  }
  const char* first = reinterpret_cast<const char*>(text);
  if (ok) ok = Json::sax_parse(first, first + n, &sax, nlohmann::detail::input_format_t::json, true, false);
  if (!ok) fail(file, sax.tensor, "invalid safetensors header: " + sax.message, sax.found, sax.expected);

  SafetensorsHeader h;
  h.header_size = n;
  h.data_start = 8 + n;
  h.metadata = std::move(sax.metadata);
  h.tensors = std::move(sax.tensors);
  std::stable_sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // 6-9. Per tensor, in offset order: contiguous offsets, then overflow, whole bytes, byte count.
  uint64_t start = 0;
  for (const TensorInfo& t : h.tensors) {
    if (t.begin != start || t.end < t.begin) {
      fail(file, t.name, "invalid data_offsets",
           "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]",
           "BEGIN = " + std::to_string(start) + " (end of the previous tensor) and END >= BEGIN",
           t.begin > start ? "a hole in the byte buffer" : (t.begin < start ? "overlapping tensors" : ""));
    }
    start = t.end;
    uint64_t numel = 1, bits = 0;
    for (int64_t d : t.shape) {
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel)) {
        fail(file, t.name, "shape overflows 64 bits", "shape with " + std::to_string(t.shape.size()) + " dims", {});
      }
    }
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_bits(t.dtype)), &bits)) {
      fail(file, t.name, "tensor size overflows 64 bits", std::to_string(numel) + " elements", {});
    }
    if (bits % 8 != 0) {
      fail(file, t.name, "tensor does not fill whole bytes",
           std::to_string(numel) + " elements of " + std::string(dtype_name(t.dtype)), "bits divisible by 8");
    }
    if (t.end - t.begin != bits / 8) {
      fail(file, t.name, "invalid shape, dtype or offsets",
           std::to_string(t.end - t.begin) + " bytes in data_offsets",
           std::to_string(bits / 8) + " bytes for " + std::to_string(numel) + " elements of " +
               std::string(dtype_name(t.dtype)));
    }
  }
  // 10. The tensors must cover the byte buffer exactly (start <= 2^48-1: no overflow).
  if (h.data_start + start != size) {
    fail(file, {}, "tensor data does not cover the file exactly",
         std::to_string(size) + " bytes in the file",
         std::to_string(h.data_start + start) + " (8 + N + last END)",
         size > h.data_start + start ? "trailing bytes after the last tensor" : "the file may be truncated");
  }
  return h;
}

}  // namespace axolotl::io
