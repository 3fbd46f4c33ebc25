// Streams generated token text to an ostream as it comes, holding back an incomplete UTF-8 sequence
// (a byte-fallback or byte-level token can carry half a character) until its last byte arrives;
// invalid bytes are written as U+FFFD (as HF decode does), never raw. Flushes per token. One-line
// mode (stdin prompts: one output line per input line) writes a newline or CR as the two characters \n, \r.
#pragma once

#include <ostream>
#include <string>

namespace axolotl::model {

class TextStream {
 public:
  explicit TextStream(std::ostream& out, bool one_line = false) : out_(out), one_line_(one_line) {}
  void push(const std::string& bytes);  // writes every complete character, then flushes
  void finish();                        // writes what is left (U+FFFD for a cut-off character), flushes

 private:
  void write(const std::string& text);

  std::ostream& out_;
  bool one_line_;
  std::string pending_;
};

// Length of the longest prefix of `s` that does not end inside a possibly valid UTF-8 sequence.
size_t complete_utf8_prefix(const std::string& s);

}  // namespace axolotl::model
