// Backoff arithmetic for http_retry.h.
#include "axolotl/io/http_retry.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace axolotl::io {

bool is_transient_status(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

long retry_delay_ms(const RetryPolicy& policy, int failures, const std::string& retry_after) {
  if (!retry_after.empty()) {
    char* end = nullptr;
    double seconds = std::strtod(retry_after.c_str(), &end);
    if (end != retry_after.c_str() && *end == '\0' && seconds >= 0) {
      return std::min(policy.max_retry_after_ms, static_cast<long>(seconds * 1000));
    }
  }
  long delay = policy.base_delay_ms;
  for (int i = 1; i < failures && delay < policy.max_delay_ms; ++i) delay *= 2;
  return std::min(delay, policy.max_delay_ms);
}

void sleep_for_ms(long ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace axolotl::io
