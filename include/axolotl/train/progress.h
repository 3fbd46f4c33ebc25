// Training progress on stderr: a live status line redrawn in place on a terminal (step/total, epoch,
// loss, lr, grad norm, tokens/s, ETA, RSS); otherwise (a pipe, a CI log) one plain "[train] ..." line
// per logging step (logging_steps, and the last step), as HF Trainer logs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace axolotl::train {

struct ProgressInfo {
  int64_t step = 0;
  int64_t total_steps = 0;
  double epoch = 0.0;
  double loss = 0.0;
  double lr = 0.0;
  double grad_norm = 0.0;
  double tokens_per_second = 0.0;
  double seconds_per_step = 0.0;  // recent average, for the ETA
  std::vector<std::pair<std::string, double>> metrics;  // the objective's headline metrics of the step (TRL names)
};

int64_t resident_memory_bytes();         // from /proc/self/statm; 0 when unknown
std::string format_duration(double seconds);  // "1h02m", "3m05s", "12s"
std::string format_progress(const ProgressInfo& p);  // the status text (no newline)

class Progress {
 public:
  explicit Progress(bool terminal);
  ~Progress();
  // Redraws the status line (terminal), or writes it as a log line when `logging_step` (otherwise).
  void update(const ProgressInfo& p, bool logging_step);
  void message(const std::string& text);    // a line that must not be overwritten (eval results, saves)
  void finish();                            // end the status line

 private:
  bool terminal_;
  bool drawn_ = false;
};

}  // namespace axolotl::train
