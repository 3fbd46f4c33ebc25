// TextStream: UTF-8-aware incremental output.
#include "axolotl/model/text_stream.h"

namespace axolotl::model {

size_t complete_utf8_prefix(const std::string& s) {
  // Look back at most 3 bytes for the lead byte of the last sequence.
  const size_t n = s.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t len = 1;
    if ((c & 0xE0) == 0xC0) len = 2;
    else if ((c & 0xF0) == 0xE0) len = 3;
    else if ((c & 0xF8) == 0xF0) len = 4;
    return back < len ? n - back : n;  // the last sequence is still short of bytes
  }
  return n;  // only continuation bytes: malformed, let it through
}

void TextStream::push(const std::string& bytes) {
  pending_ += bytes;
  const size_t k = complete_utf8_prefix(pending_);
  if (k > 0) {
    out_.write(pending_.data(), static_cast<std::streamsize>(k));
    pending_.erase(0, k);
  }
  out_.flush();
}

void TextStream::finish() {
  out_ << pending_;
  pending_.clear();
  out_.flush();
}

}  // namespace axolotl::model
