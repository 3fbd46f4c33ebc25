// Bounded retries with exponential backoff for transient HTTP failures (huggingface_hub http_backoff:
// 5 tries, waits 1, 2, 4, 8 s; 429/503 honour Retry-After), and the rule for what counts as transient.
#pragma once

#include <string>

namespace axolotl::io {

struct RetryPolicy {
  int max_tries = 5;            // total attempts, first one included
  long base_delay_ms = 1000;    // wait after the first failure; doubles each time
  long max_delay_ms = 8000;     // cap of the doubling
  long max_retry_after_ms = 60000;  // cap on a server's Retry-After
};

// 408, 429 and 5xx are worth another try; other statuses are answers.
bool is_transient_status(long status);

// The wait before the next try after `failures` failed tries (>= 1). A Retry-After header value in
// seconds (HTTP-date values are ignored) replaces the backoff, within max_retry_after_ms.
long retry_delay_ms(const RetryPolicy& policy, int failures, const std::string& retry_after = {});

void sleep_for_ms(long ms);

}  // namespace axolotl::io
