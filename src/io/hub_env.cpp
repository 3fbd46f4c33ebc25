// Environment lookup for the Hub client; names and defaults from huggingface_hub constants.py.
#include "axolotl/io/hub_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string strip(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

long env_seconds(const char* name, long fallback) {
  std::string v = env(name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || d <= 0) {
    throw UsageError(Diagnostic{{}, name, "not a positive number of seconds", v, "e.g. 10", {}});
  }
  return std::max(1L, static_cast<long>(d + 0.5));
}

}  // namespace

bool env_flag_true(const char* value) {
  if (!value) return false;
  std::string v = strip(value);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

HubEnv HubEnv::from_environment() {
  HubEnv e;
  std::string endpoint = env("HF_ENDPOINT");
  if (!endpoint.empty()) e.endpoint = endpoint;
  while (!e.endpoint.empty() && e.endpoint.back() == '/') e.endpoint.pop_back();

  e.hf_home = env("HF_HOME");
  if (e.hf_home.empty()) {
    std::string xdg = env("XDG_CACHE_HOME");
    std::string home = env("HOME");
    e.hf_home = !xdg.empty() ? xdg + "/huggingface" : (home.empty() ? "." : home) + "/.cache/huggingface";
  }
  e.hub_cache = env("HF_HUB_CACHE");
  if (e.hub_cache.empty()) e.hub_cache = env("HUGGINGFACE_HUB_CACHE");
  if (e.hub_cache.empty()) e.hub_cache = e.hf_home + "/hub";

  e.offline = env_flag_true(std::getenv("HF_HUB_OFFLINE")) || env_flag_true(std::getenv("TRANSFORMERS_OFFLINE"));

  if (!env_flag_true(std::getenv("HF_HUB_DISABLE_IMPLICIT_TOKEN"))) {
    if (!(e.token = strip(env("HF_TOKEN"))).empty()) {
      e.token_source = "HF_TOKEN";
    } else if (!(e.token = strip(env("HUGGING_FACE_HUB_TOKEN"))).empty()) {
      e.token_source = "HUGGING_FACE_HUB_TOKEN";
    } else {
      std::string path = env("HF_TOKEN_PATH");
      if (path.empty()) path = e.hf_home + "/token";
      std::ifstream f(path);
      if (f) {
        std::stringstream ss;
        ss << f.rdbuf();
        e.token = strip(ss.str());
        if (!e.token.empty()) e.token_source = path;
      }
    }
  }
  e.etag_timeout_s = env_seconds("HF_HUB_ETAG_TIMEOUT", 10);
  e.download_timeout_s = env_seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10);
  return e;
}

const char* repo_type_name(RepoType type) {
  switch (type) {
    case RepoType::kModel: return "model";
    case RepoType::kDataset: return "dataset";
    case RepoType::kSpace: return "space";
  }
  return "model";
}

RepoType parse_repo_type(const std::string& name) {
  if (name == "model") return RepoType::kModel;
  if (name == "dataset") return RepoType::kDataset;
  if (name == "space") return RepoType::kSpace;
  throw UsageError(Diagnostic{{}, "--repo-type", "unknown repo type", name, "model, dataset or space", {}});
}

}  // namespace axolotl::io
