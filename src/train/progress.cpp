// Status line (terminal) and one progress line per logging step (otherwise).
#include "axolotl/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "axolotl/util/log.h"

namespace axolotl::train {

int64_t resident_memory_bytes() {
  std::ifstream in("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  if (!(in >> pages >> resident)) return 0;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(std::llround(s));
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

std::string format_progress(const ProgressInfo& p) {
  const double eta = p.seconds_per_step * static_cast<double>(p.total_steps - p.step);
  std::string metrics;
  for (const auto& [name, value] : p.metrics) metrics += fmt::format(" | {} {:.4f}", name, value);
  return fmt::format("step {}/{} | epoch {:.2f} | loss {:.4f}{} | lr {:.3e} | grad {:.3f} | {:.0f} tok/s | "
                     "ETA {} | RSS {:.0f} MiB",
                     p.step, p.total_steps, p.epoch, p.loss, metrics, p.lr, p.grad_norm, p.tokens_per_second,
                     format_duration(eta), static_cast<double>(resident_memory_bytes()) / (1 << 20));
}

Progress::Progress(bool terminal) : terminal_(terminal) {}

Progress::~Progress() { finish(); }

void Progress::update(const ProgressInfo& p, bool logging_step) {
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", format_progress(p).c_str());
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  if (logging_step) log::info("train", "{}", format_progress(p));
}

void Progress::message(const std::string& text) {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }
  log::info("train", "{}", text);
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\n");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace axolotl::train
