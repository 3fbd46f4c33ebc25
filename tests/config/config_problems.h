// For config tests: the problems of a config that must fail to load, and whether one of them names a text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "axolotl/config/loader.h"

namespace axolotl::testing {

// The problems `load_string` reports for `yaml`; a test failure when it loads without error.
inline std::vector<Diagnostic> problems_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    config::load_string(yaml, "t.yml", overrides);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "loaded without error:\n" << yaml;
  return {};
}

// True when a problem's key, message, found or hint contains `text`.
inline bool names(const std::vector<Diagnostic>& p, const std::string& text) {
  for (const auto& d : p)
    if ((d.key + " " + d.message + " " + d.found + " " + d.hint).find(text) != std::string::npos) return true;
  return false;
}

}  // namespace axolotl::testing
