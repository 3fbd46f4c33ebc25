// The process-wide interrupt flag (see interrupt.h). The handler touches only sig_atomic_t values and
// calls write/_exit, which are async-signal-safe.
#include "axolotl/util/interrupt.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace axolotl {
namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_deferred = 0;
const char* volatile g_message = nullptr;

constexpr char kDefault[] = "\n[axolotl] stop requested: cleaning up (signal again to stop at once)\n";
constexpr char kSecond[] = "\n[axolotl] second signal: stopping now\n";

void say(const char* text) {
  ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_signal(int sig) {
  if (g_signal != 0) {
    say(kSecond);
    _exit(128 + sig);
  }
  g_signal = sig;
  say(g_deferred ? g_message : kDefault);
}

}  // namespace

Interrupted::Interrupted(int sig, const std::string& what)
    : Error(Diagnostic{{}, {}, what + " stopped by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")",
                       {}, {}, "nothing was left half-written; run the command again to redo it"}),
      sig_(sig) {}

void install_interrupt_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() { return static_cast<int>(g_signal); }

void throw_if_interrupted(const char* what) {
  if (g_signal != 0 && !g_deferred) throw Interrupted(static_cast<int>(g_signal), what);
}

DeferInterrupts::DeferInterrupts(const char* message) {
  g_message = message;
  g_deferred = 1;
}

DeferInterrupts::~DeferInterrupts() { g_deferred = 0; }

}  // namespace axolotl
