// Async-signal-safe stop flag for the training loop.
#include "axolotl/train/stop_signal.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace axolotl::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_int, g_old_term;

void on_signal(int sig) {
  if (g_signal != 0) {
    static const char kMsg[] = "\n[train] second signal: stopping now without saving\n";
    ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    _exit(128 + sig);
  }
  g_signal = sig;
  static const char kMsg[] = "\n[train] stop requested: finishing this step and saving a checkpoint "
                             "(signal again to stop at once)\n";
  ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

}  // namespace

StopSignal::StopSignal() {
  g_signal = 0;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignal::~StopSignal() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool StopSignal::requested() const { return g_signal != 0; }
int StopSignal::signal() const { return static_cast<int>(g_signal); }

}  // namespace axolotl::train
