// Progress display for Hub downloads.
#include "axolotl/io/hub_progress.h"

#include <unistd.h>

#include <cstdio>

#include "axolotl/util/log.h"

namespace axolotl::io {
namespace {

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 99 * 3600) return "--:--";
  long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

std::string format_bytes(double bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

DownloadProgress::DownloadProgress(std::string name, uint64_t total, uint64_t already, bool enabled)
    : name_(std::move(name)),
      total_(total),
      done_(already),
      start_done_(already),
      enabled_(enabled && log::enabled(log::Level::kInfo)),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_shown_(start_) {}

DownloadProgress::~DownloadProgress() {
  if (enabled_ && tty_ && !finished_) std::fputc('\n', stderr);  // leave the live line intact on errors
}

void DownloadProgress::add(uint64_t bytes) {
  done_ += bytes;
  if (!enabled_) return;
  auto now = Clock::now();
  auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000);
  if (now - last_shown_ >= every) {
    last_shown_ = now;
    show(false);
  }
}

void DownloadProgress::restart(uint64_t done) {
  done_ = start_done_ = done;
  start_ = Clock::now();
}

void DownloadProgress::finish() {
  if (finished_) return;
  if (enabled_) show(true);
  finished_ = true;
}

void DownloadProgress::show(bool final_line) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0;
  double pct = total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
  std::string eta = rate > 0 && total_ > done_ ? format_duration(static_cast<double>(total_ - done_) / rate) : "--:--";
  std::string line = fmt::format("{}: {:5.1f}% {} / {}, {}/s", name_, pct, format_bytes(static_cast<double>(done_)),
                                 format_bytes(static_cast<double>(total_)), format_bytes(rate));
  line += final_line ? fmt::format(" in {}", format_duration(elapsed)) : fmt::format(", ETA {}", eta);
  if (tty_) {
    std::fprintf(stderr, "\r[hub] %s\033[K%s", line.c_str(), final_line ? "\n" : "");
    std::fflush(stderr);
  } else {
    log::info("hub", "{}", line);
  }
}

}  // namespace axolotl::io
