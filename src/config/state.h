// Internal to config/: what one load collects while reading a file and its overrides — problems,
// notes, and where each setting came from (for cross-field messages). Not part of the public API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "axolotl/util/error.h"

namespace axolotl::config::detail {

class State {
 public:
  explicit State(std::string file) : file_(std::move(file)) {}

  // The label used for locations ("file.yml", or "override" while applying overrides).
  void set_source(std::string file) { file_ = std::move(file); }
  const std::string& source() const { return file_; }

  Location at(const YAML::Node& n) const;
  Location at(const YAML::Mark& m) const;

  void error(Location where, std::string key, std::string message, std::string found = {},
             std::string expected = {}, std::string hint = {});
  void note(Location where, std::string key, std::string message, std::string hint = {});

  // Remembers where a canonical nested path was last set (cross-field checks point there).
  void set_where(const std::string& path, Location where) { where_[path] = std::move(where); }
  Location where(const std::string& path) const;
  bool was_set(const std::string& path) const { return where_.count(path) != 0; }

  // Paths whose value was rejected: cross-field checks skip them rather than pile on.
  void mark_bad(const std::string& path) { bad_.push_back(path); }
  bool is_bad(const std::string& path) const;

  // Which dialect the keys being read use (dataset entries and type maps follow the file's dialect).
  bool flat = true;

  std::vector<Diagnostic>& problems() { return problems_; }
  std::vector<Diagnostic>& notes() { return notes_; }
  size_t suppressed() const { return suppressed_; }

 private:
  std::string file_;
  std::vector<Diagnostic> problems_;
  std::vector<Diagnostic> notes_;
  std::map<std::string, Location> where_;
  std::vector<std::string> bad_;
  size_t suppressed_ = 0;
};

// Short description of a node for "found …": the scalar quoted (truncated), or "a list" / "a map".
std::string describe(const YAML::Node& n);

// Closest candidate by edit distance, or "" when none is close enough to be a plausible typo.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace axolotl::config::detail
