// SIGINT/SIGTERM for every command. main() installs one handler: the first signal is recorded and
// long work stops at its next poll point by throwing Interrupted (exit 128+N), so destructors remove
// temporary files and nothing half-written is left; a second signal exits at once. While training
// owns the signal (train::StopSignal), polls do not throw: the loop finishes its step and saves.
#pragma once

#include "axolotl/util/error.h"

namespace axolotl {

// Thrown at a poll point after SIGINT/SIGTERM; main() exits with 128 + the signal.
class Interrupted : public Error {
 public:
  Interrupted(int sig, const std::string& what);
  int signal() const { return sig_; }
  int exit_code() const override { return 128 + sig_; }

 private:
  int sig_;
};

// Installs the handlers for SIGINT and SIGTERM (main, once).
void install_interrupt_handlers();

// The first signal received (0: none). Async-signal-safe to read.
int interrupt_signal();

// Throws Interrupted naming `what` (e.g. "preprocessing") once a signal has arrived, unless
// deferred by a DeferInterrupts in scope.
void throw_if_interrupted(const char* what);

// While one exists, polls do not throw and the handler's message says the work will finish and save.
class DeferInterrupts {
 public:
  explicit DeferInterrupts(const char* message);
  ~DeferInterrupts();
  DeferInterrupts(const DeferInterrupts&) = delete;
  DeferInterrupts& operator=(const DeferInterrupts&) = delete;
};

}  // namespace axolotl
