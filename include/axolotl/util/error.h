// The one error family of the project: what went wrong, where, what was found and expected, a hint.
// Thrown anywhere below cli/; caught only in cli/main.cpp, which maps exit_code() to the process status:
// 1 runtime failure, 2 usage or config error, 3 not available yet.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace axolotl {

// A position in an input file; line and column are 1-based, 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  bool empty() const { return file.empty() && line == 0; }
  std::string str() const;  // "file:line:column", omitting unknown parts
};

// One problem: the parts are kept apart so that tools can print or test them separately.
struct Diagnostic {
  Location where;
  std::string key;       // config key or tensor name the problem is about, if any
  std::string message;   // what is wrong
  std::string found;     // what was found (empty: not applicable)
  std::string expected;  // what was expected (empty: not applicable)
  std::string hint;      // how to fix it (empty: none)

  std::string str() const;  // one or two lines, "where: key: message (found …, expected …)\n  hint: …"
};

class Error : public std::runtime_error {
 public:
  explicit Error(Diagnostic d);
  explicit Error(const std::string& message);
  ~Error() override;

  const Diagnostic& diagnostic() const { return diag_; }
  // Process exit status for this error when it reaches main(): 1 runtime, 2 usage/config.
  virtual int exit_code() const { return 1; }

 private:
  Diagnostic diag_;
};

// Bad command-line usage: exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// Every problem found in a config, reported at once: exit 2.
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<Diagnostic> problems);
  const std::vector<Diagnostic>& problems() const { return problems_; }
  int exit_code() const override { return 2; }

 private:
  std::vector<Diagnostic> problems_;
};

// Reading or writing files, network: exit 1.
class IoError : public Error {
 public:
  using Error::Error;
};

// A command whose work belongs to a capability that is not built yet: exit 3, so scripts can tell
// "not there yet" from a failure.
class NotAvailableError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

}  // namespace axolotl
