// Test fixture for the Hub client: starts tests/io/hub_server.py (a fake Hub on 127.0.0.1) and builds
// repos from in-memory files; plus an environment guard. Nothing here reaches the internet.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "axolotl/io/hub_env.h"
#include "axolotl/io/http_retry.h"

namespace axolotl::testing {

inline constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

// Deterministic pseudo-random bytes.
std::string random_bytes(size_t n, unsigned seed);

// One repo of the fake Hub: path -> content.
struct FakeRepo {
  std::string type = "model";
  std::string id = "org/tiny";
  std::string commit = kCommit;
  std::map<std::string, std::string> refs;  // default {"main": commit}
  bool gated = false;
  std::string moved_from;
  std::map<std::string, std::string> files;
};

// A sharded model: config, tokenizer files, index + 2 shards, and files that must never be fetched.
FakeRepo sharded_model_repo();

class FakeHub {
 public:
  // Writes the repos' files under `dir` and starts the server; throws std::runtime_error on failure.
  FakeHub(const std::vector<FakeRepo>& repos, const std::filesystem::path& dir, const std::string& token = "hf_test");
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void stop();  // kills the server (later requests fail to connect)

  nlohmann::json log() const;  // every request: method, path, host, auth, range
  void fault(const std::string& file, const std::string& kind, int count = 1) const;
  void reset() const;

 private:
  std::string control(const std::string& path) const;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A HubEnv pointing at `endpoint` with the cache in `cache`; no token, online.
io::HubEnv test_env(const std::string& endpoint, const std::filesystem::path& cache);
// Short waits so retry tests stay fast.
io::RetryPolicy fast_retry();

// Sets environment variables for a scope, restoring the old values after.
class EnvGuard {
 public:
  EnvGuard() = default;
  ~EnvGuard();
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  void set(const std::string& name, const std::string& value);
  void unset(const std::string& name);

 private:
  void remember(const std::string& name);
  std::map<std::string, std::pair<bool, std::string>> saved_;
};

}  // namespace axolotl::testing
