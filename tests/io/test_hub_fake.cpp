// Implementation of test_hub_fake.h.
#include "test_hub_fake.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include "axolotl/io/http_client.h"
#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

FakeRepo sharded_model_repo() {
  FakeRepo r;
  r.files["config.json"] = R"({"model_type": "llama", "hidden_size": 64})";
  r.files["generation_config.json"] = R"({"bos_token_id": 1})";
  r.files["tokenizer.json"] = R"({"model": {"type": "BPE"}})";
  r.files["tokenizer_config.json"] = R"({"bos_token": "<s>"})";
  r.files["tokenizer.model"] = random_bytes(3000, 7);
  r.files["model.safetensors.index.json"] =
      R"({"metadata": {"total_size": 1}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",)"
      R"( "b.weight": "model-00002-of-00002.safetensors", "c.weight": "model-00001-of-00002.safetensors"}})";
  r.files["model-00001-of-00002.safetensors"] = random_bytes(300000, 1);
  r.files["model-00002-of-00002.safetensors"] = random_bytes(200001, 2);
  r.files["consolidated.safetensors"] = random_bytes(1000, 3);  // not in the index: never fetched
  r.files["pytorch_model.bin"] = random_bytes(1000, 4);         // pickled: never fetched
  r.files["README.md"] = "# tiny\n";
  r.files["original/params.json"] = "{}";
  return r;
}

FakeHub::FakeHub(const std::vector<FakeRepo>& repos, const fs::path& dir, const std::string& token) {
  nlohmann::json spec = {{"token", token}, {"cdn_host", "localhost"}, {"repos", nlohmann::json::object()}};
  int n = 0;
  for (const auto& r : repos) {
    nlohmann::json files = nlohmann::json::object();
    for (const auto& [path, content] : r.files) {
      fs::path src = dir / "fake-hub-src" / std::to_string(n++);
      write_file(src, content);
      files[path] = src.string();
    }
    nlohmann::json refs = r.refs.empty() ? nlohmann::json{{"main", r.commit}} : nlohmann::json(r.refs);
    spec["repos"][r.type + "/" + r.id] = {
        {"commit", r.commit}, {"refs", refs}, {"gated", r.gated}, {"moved_from", r.moved_from}, {"files", files}};
  }
  fs::path spec_path = dir / "fake-hub-spec.json";
  write_file(spec_path, spec.dump());

  std::string script = (source_dir() / "tests" / "io" / "hub_server.py").string();
  std::string py = python().empty() ? "python3" : python();
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execlp(py.c_str(), py.c_str(), script.c_str(), spec_path.c_str(), "--lifetime", "120", nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    ssize_t k = read(out[0], buf, sizeof(buf));
    if (k <= 0) break;
    line.append(buf, static_cast<size_t>(k));
  }
  close(out[0]);
  if (line.rfind("PORT ", 0) != 0) {
    stop();
    throw std::runtime_error("fake Hub did not start (" + py + " " + script + "): '" + line + "'");
  }
  port_ = std::atoi(line.c_str() + 5);
}

FakeHub::~FakeHub() { stop(); }

void FakeHub::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string FakeHub::control(const std::string& path) const {
  io::HttpRequest req;
  req.url = endpoint() + path;
  req.timeout_s = 10;
  io::HttpResponse r = io::http_send(req);
  if (r.status != 200) throw std::runtime_error("fake Hub control " + path + " failed");
  return r.body;
}

nlohmann::json FakeHub::log() const { return nlohmann::json::parse(control("/_log")); }

void FakeHub::fault(const std::string& file, const std::string& kind, int count) const {
  control("/_fault?file=" + io::url_quote(file, "") + "&kind=" + kind + "&count=" + std::to_string(count));
}

void FakeHub::reset() const { control("/_reset"); }

io::HubEnv test_env(const std::string& endpoint, const fs::path& cache) {
  io::HubEnv e;
  e.endpoint = endpoint;
  e.hf_home = (cache.parent_path() / "hf_home").string();
  e.hub_cache = cache.string();
  e.etag_timeout_s = 5;
  e.download_timeout_s = 5;
  return e;
}

io::RetryPolicy fast_retry() {
  io::RetryPolicy p;
  p.base_delay_ms = 10;
  p.max_delay_ms = 40;
  return p;
}

EnvGuard::~EnvGuard() {
  for (const auto& [name, old] : saved_) {
    if (old.first) {
      setenv(name.c_str(), old.second.c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
}

void EnvGuard::remember(const std::string& name) {
  if (saved_.count(name)) return;
  const char* v = std::getenv(name.c_str());
  saved_[name] = {v != nullptr, v ? v : ""};
}

void EnvGuard::set(const std::string& name, const std::string& value) {
  remember(name);
  setenv(name.c_str(), value.c_str(), 1);
}

void EnvGuard::unset(const std::string& name) {
  remember(name);
  unsetenv(name.c_str());
}

}  // namespace axolotl::testing
