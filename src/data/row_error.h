// A bad dataset row, for data/'s row readers (row, preference, chat and stepwise encoders): Error with the
// field, what is wrong, found and expected (the caller adds the file and row where it catches it).
#pragma once

#include <string>

#include "axolotl/util/error.h"

namespace axolotl::data {

[[noreturn]] inline void row_error(const std::string& key, const std::string& message, const std::string& found = "",
                                   const std::string& expected = "") {
  Diagnostic d;
  d.key = key;
  d.message = message;
  d.found = found;
  d.expected = expected;
  throw Error(d);
}

}  // namespace axolotl::data
