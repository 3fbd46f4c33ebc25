// Download progress on stderr: a live line with bytes, rate and ETA on a terminal, plain periodic
// log lines otherwise (every 10 s and at the end). Silent when disabled or the log level is above info.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace axolotl::io {

// "1.5 MB", "512 B" (decimal units, as the Hub shows sizes).
std::string format_bytes(double bytes);

class DownloadProgress {
 public:
  // `already` bytes were on disk before (a resumed download): they count as done but not in the rate.
  DownloadProgress(std::string name, uint64_t total, uint64_t already, bool enabled);
  ~DownloadProgress();
  DownloadProgress(const DownloadProgress&) = delete;
  DownloadProgress& operator=(const DownloadProgress&) = delete;

  void add(uint64_t bytes);
  void restart(uint64_t done);  // the server ignored a Range: counting starts again from `done`
  void finish();                // prints the final line once

 private:
  void show(bool final_line);

  using Clock = std::chrono::steady_clock;
  std::string name_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  uint64_t start_done_ = 0;
  bool enabled_ = false;
  bool tty_ = false;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_shown_;
};

}  // namespace axolotl::io
