// Private to src/train/distributed_*.cpp: turns c10d failures into axolotl::Error naming the ranks
// that are gone. After a failed collective the surviving ranks report to the rendezvous store; the
// ranks that do not report within a short window are named missing (rank 0 when the store is gone).
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "axolotl/train/distributed_env.h"
#include "axolotl/util/error.h"

namespace axolotl::train {

// "rank 1" or "ranks 1, 3".
std::string ranks_phrase(const std::vector<int>& ranks);

// An Error for a failed rendezvous, with the rendezvous address and the usual checks as hint.
Error rendezvous_error(const DistributedEnv& env, std::chrono::milliseconds timeout, const std::string& message,
                       const std::string& found, const std::string& expected);

class FailureReporter {
 public:
  FailureReporter(DistributedEnv env, std::chrono::milliseconds timeout, c10::intrusive_ptr<c10d::Store> store);

  std::chrono::milliseconds timeout() const { return timeout_; }
  // After a failure every later collective fails at once with the same diagnostic.
  void throw_if_broken() const;
  // Collective number `seq` (`what`) failed with `cause`: finds the missing ranks and throws.
  [[noreturn]] void collective_failed(const std::string& what, int64_t seq, const std::string& cause);

 private:
  // The ranks that did not report failure `seq` within the probe window; {0} when the store is gone.
  std::vector<int> probe(int64_t seq, bool& store_lost);

  DistributedEnv env_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  bool broken_ = false;
  Diagnostic diagnostic_;
};

}  // namespace axolotl::train
