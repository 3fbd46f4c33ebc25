// SIGINT/SIGTERM during training: the first one sets a flag that the loop reads after each optimizer
// step (it then saves a resumable checkpoint and exits 128+signal); a second one exits at once with
// 128+signal. The handler only touches a sig_atomic_t and calls write/_exit (async-signal-safe).
#pragma once

namespace axolotl::train {

class StopSignal {
 public:
  StopSignal();   // installs the handlers (one instance at a time)
  ~StopSignal();  // restores the previous handlers
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool requested() const;  // a first signal arrived
  int signal() const;      // its number (0 when none)
  int exit_code() const { return 128 + signal(); }
};

}  // namespace axolotl::train
