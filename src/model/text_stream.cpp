// TextStream: UTF-8-aware incremental output.
#include "axolotl/model/text_stream.h"

#include "axolotl/data/tokenizer_json/utf8.h"

namespace axolotl::model {

size_t complete_utf8_prefix(const std::string& s) { return data::tokjson::utf8_complete_prefix(s); }

void TextStream::push(const std::string& bytes) {
  pending_ += bytes;
  const size_t k = complete_utf8_prefix(pending_);
  if (k > 0) {  // invalid bytes become U+FFFD, as Hugging Face's decode does
    write(data::tokjson::utf8_lossy(std::string_view(pending_).substr(0, k)));
    pending_.erase(0, k);
  }
  out_.flush();
}

void TextStream::finish() {
  write(data::tokjson::utf8_lossy(pending_));
  pending_.clear();
  out_.flush();
}

void TextStream::write(const std::string& text) {
  if (!one_line_) {
    out_ << text;
    return;
  }
  for (char c : text) {  // ASCII bytes: never inside a multi-byte UTF-8 sequence
    if (c == '\n') out_ << "\\n";
    else if (c == '\r') out_ << "\\r";
    else out_ << c;
  }
}

}  // namespace axolotl::model
