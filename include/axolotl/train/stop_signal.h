// SIGINT/SIGTERM during training: the first one sets a flag that the loop reads after each optimizer
// step (it then saves a resumable checkpoint and exits 128+signal); a second one exits at once with
// 128+signal. A signal that arrived before the loop (while loading) is seen by its first check.
// Built on util/interrupt.h; while a StopSignal exists, interrupt polls elsewhere do not throw.
#pragma once

#include <memory>

#include "axolotl/util/interrupt.h"

namespace axolotl::train {

class StopSignal {
 public:
  StopSignal();   // makes sure the handlers are installed and defers polls (one instance at a time)
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool requested() const;  // a first signal arrived
  int signal() const;      // its number (0 when none)
  int exit_code() const { return 128 + signal(); }

 private:
  std::unique_ptr<DeferInterrupts> defer_;
};

}  // namespace axolotl::train
