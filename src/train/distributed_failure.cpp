// Failure diagnosis for the distributed context (see distributed_failure.h).
#include "distributed_failure.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "axolotl/util/log.h"

namespace axolotl::train {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

std::string seconds(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? std::to_string(t.count() / 1000) + " s" : fmt::format("{:.1f} s", t.count() / 1000.0);
}

std::string address(const DistributedEnv& env) { return env.master_addr + ":" + std::to_string(env.master_port); }

std::string checks_hint(const DistributedEnv& env) {
  return "check that MASTER_ADDR:MASTER_PORT (" + address(env) +
         ") is reachable from every machine (firewall, right host), that all WORLD_SIZE=" +
         std::to_string(env.world_size) + " ranks were started with the same config, and read the other ranks' logs";
}

// c10d messages can be long; the first line carries the cause.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 400 ? line.substr(0, 400) + "..." : line;
}

// Gloo says "Timed out waiting ..."; a wait() that returns false is reported as aborted.
bool timed_out(const std::string& cause) {
  std::string lower;
  for (char c : cause) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("timed out") != std::string::npos || lower.find("timeout") != std::string::npos ||
         lower.find("aborted") != std::string::npos;
}

// A peer that went away: Gloo reports closed or reset connections (and NCCL remote errors).
bool peer_failure(const std::string& cause) {
  std::string lower;
  for (char c : cause) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"connect", "closed", "reset", "peer", "broken pipe", "eof", "socket", "remote", "read",
                           "write", "abort"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string ranks_phrase(const std::vector<int>& ranks) {
  std::string out = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) out += (i ? ", " : "") + std::to_string(ranks[i]);
  return out;
}

Error rendezvous_error(const DistributedEnv& env, std::chrono::milliseconds timeout, const std::string& message,
                       const std::string& found, const std::string& expected) {
  Diagnostic d;
  d.key = "distributed";
  d.message = "rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
              ": rendezvous at " + address(env) + " failed after up to " + seconds(timeout) + ": " + message;
  d.found = first_line(found);
  d.expected = expected;
  d.hint = checks_hint(env) + "; a slow start needs a larger distributed.ddp_timeout_s";
  return Error(d);
}

FailureReporter::FailureReporter(DistributedEnv env, std::chrono::milliseconds timeout,
                                 c10::intrusive_ptr<c10d::Store> store)
    : env_(std::move(env)), timeout_(timeout), store_(std::move(store)) {}

void FailureReporter::throw_if_broken() const {
  if (broken_) throw Error(diagnostic_);
}

std::vector<int> FailureReporter::probe(int64_t seq, bool& store_lost) {
  const std::string base = "axolotl/failed/" + std::to_string(seq) + "/";
  // Survivors fail within moments of each other (a closed socket) or all at the timeout; half the
  // timeout, at most 10 s, lets them all report without doubling the time to the error.
  const auto window = std::clamp(timeout_ / 2, std::chrono::milliseconds(500), std::chrono::milliseconds(10000));
  const auto deadline = std::chrono::steady_clock::now() + window;
  try {
    store_->set(base + std::to_string(env_.rank), {1});
    int64_t reported = store_->add(base + "count", 1);
    while (reported < env_.world_size && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPoll);
      reported = store_->add(base + "count", 0);
    }
    std::vector<int> missing;
    if (reported >= env_.world_size) return missing;
    for (int r = 0; r < env_.world_size; ++r) {
      if (!store_->check({base + std::to_string(r)})) missing.push_back(r);
    }
    return missing;
  } catch (const std::exception&) {
    store_lost = true;  // rank 0 serves the store: its process is gone
    return {0};
  }
}

void FailureReporter::collective_failed(const std::string& what, int64_t seq, const std::string& cause) {
  throw_if_broken();
  log::error("distributed", "rank {}: {} failed: {}", env_.rank, what, first_line(cause));
  Diagnostic d;
  d.key = "distributed";
  std::string who = "rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size) + ": " + what +
                    " failed";
  // Neither a timeout nor a lost connection: the backend refused the operation itself (a dtype or
  // device it lacks), on every rank alike, so its own words are the cause and no peer is probed (a
  // peer that failed the same way may already have exited).
  const bool refused = !timed_out(cause) && !peer_failure(cause);
  bool store_lost = false;
  std::vector<int> missing = refused ? std::vector<int>{} : probe(seq, store_lost);
  if (refused) {
    d.message = who + ": the communication backend refused it: " + first_line(cause);
    d.hint = "a limitation or failure of the backend, not of the config or of another rank; report it with this message";
  } else if (store_lost) {
    d.message = who + "; rank 0 (which serves the rendezvous store) is gone (exited, crashed or unreachable)";
    d.hint = "read rank 0's log for its own error; " + checks_hint(env_);
  } else if (!missing.empty()) {
    d.message = who + "; " + ranks_phrase(missing) + (missing.size() == 1 ? " is" : " are") +
                " missing (exited, crashed or stuck)";
    d.hint = "read the log of " + ranks_phrase(missing) + " for its own error; " + checks_hint(env_);
  } else {
    d.message = who + " although every rank is alive: the ranks issued different collectives, or one was slower "
                      "than the timeout";
    d.hint = "run every rank with the same config and data; raise distributed.ddp_timeout_s for slow steps";
  }
  d.found = first_line(cause);
  d.expected = "all " + std::to_string(env_.world_size) + " ranks in " + what + " within " + seconds(timeout_);
  broken_ = true;
  diagnostic_ = d;
  throw Error(d);
}

}  // namespace axolotl::train
