// Shared by the libFuzzer harnesses: a parser must either succeed or throw axolotl::Error. Any other
// exception escapes the harness on purpose, so libFuzzer reports it as a finding (as it does for
// AddressSanitizer/UBSan reports, timeouts and out-of-memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "axolotl/util/error.h"

namespace axolotl::fuzz {

// Runs `parse` and swallows the project's own errors (a clean rejection is the expected outcome).
template <typename F>
void expect_clean(F&& parse) {
  try {
    parse();
  } catch (const Error&) {
  }
}

inline std::string text_of(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

}  // namespace axolotl::fuzz
