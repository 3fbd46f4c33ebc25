// torchrun environment variables → DistributedEnv (see distributed_env.h).
#include "axolotl/train/distributed_env.h"

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

constexpr const char* kHint =
    "set by torchrun or `axolotl train --nproc-per-node N`; when launching by hand set RANK, WORLD_SIZE, "
    "MASTER_ADDR and MASTER_PORT for every process (LOCAL_RANK and LOCAL_WORLD_SIZE optional)";

[[noreturn]] void fail(const std::string& name, const std::string& message, const std::string& found,
                       const std::string& expected) {
  Diagnostic d;
  d.key = name;
  d.message = message;
  d.found = found;
  d.expected = expected;
  d.hint = kHint;
  throw UsageError(d);
}

// The variable as an integer in [lo, hi]; nullopt when unset.
std::optional<long> read_int(const EnvLookup& lookup, const char* name, long lo, long hi,
                             const std::string& expected) {
  const char* raw = lookup(name);
  if (raw == nullptr) return std::nullopt;
  std::string text(raw);
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  bool whole = !text.empty() && end != nullptr && *end == '\0' && errno == 0;
  if (!whole) fail(name, "is not an integer", "\"" + text + "\"", expected);
  if (value < lo || value > hi) fail(name, "is out of range", text, expected);
  return value;
}

}  // namespace

DistributedEnv parse_distributed_env(const EnvLookup& lookup) {
  DistributedEnv env;
  constexpr long kMaxWorld = 1 << 20;
  auto world = read_int(lookup, "WORLD_SIZE", 1, kMaxWorld, "an integer >= 1");
  env.world_size = static_cast<int>(world.value_or(1));
  if (env.world_size == 1) {
    auto rank = read_int(lookup, "RANK", 0, kMaxWorld, "0 (WORLD_SIZE is 1 or unset)");
    if (rank.value_or(0) != 0) fail("RANK", "is not 0 in a single-process run", std::to_string(*rank), "0 (WORLD_SIZE is 1 or unset)");
    return env;
  }

  const std::string rank_range = "an integer in [0, " + std::to_string(env.world_size - 1) + "] (WORLD_SIZE is " +
                                 std::to_string(env.world_size) + ")";
  auto rank = read_int(lookup, "RANK", 0, env.world_size - 1, rank_range);
  if (!rank) fail("RANK", "is unset while WORLD_SIZE > 1", "unset", rank_range);
  env.rank = static_cast<int>(*rank);

  auto local_world = read_int(lookup, "LOCAL_WORLD_SIZE", 1, env.world_size,
                              "an integer in [1, WORLD_SIZE=" + std::to_string(env.world_size) + "]");
  env.local_world_size = static_cast<int>(local_world.value_or(env.world_size));
  const std::string local_range = "an integer in [0, " + std::to_string(env.local_world_size - 1) +
                                  "] (LOCAL_WORLD_SIZE is " + std::to_string(env.local_world_size) + ")";
  auto local_rank = read_int(lookup, "LOCAL_RANK", 0, env.local_world_size - 1, local_range);
  if (!local_rank && env.rank >= env.local_world_size) {
    fail("LOCAL_RANK", "is unset and RANK does not fit on one machine", "unset (RANK " + std::to_string(env.rank) + ")",
         local_range);
  }
  env.local_rank = static_cast<int>(local_rank.value_or(env.rank));

  const char* addr = lookup("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0') {
    fail("MASTER_ADDR", "is unset while WORLD_SIZE > 1", addr == nullptr ? "unset" : "\"\"",
         "the host name or address of rank 0, e.g. 127.0.0.1");
  }
  env.master_addr = addr;
  auto port = read_int(lookup, "MASTER_PORT", 1, 65535, "a TCP port in [1, 65535]");
  if (!port) fail("MASTER_PORT", "is unset while WORLD_SIZE > 1", "unset", "a TCP port in [1, 65535]");
  env.master_port = static_cast<int>(*port);
  return env;
}

DistributedEnv read_distributed_env() {
  return parse_distributed_env([](const char* name) { return std::getenv(name); });
}

}  // namespace axolotl::train
