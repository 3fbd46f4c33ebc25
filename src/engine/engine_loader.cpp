// dlopen of libaxolotl_engine.so from the torch-free side (see engine_api.h for why).
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "axolotl/engine/engine_api.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "axolotl/util/runtime_env.h"

namespace axolotl::engine {
namespace {

std::filesystem::path executable_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return std::filesystem::current_path();
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path();
}

std::vector<std::filesystem::path> candidates() {
  std::vector<std::filesystem::path> out;
  if (const char* env = std::getenv("AXOLOTL_ENGINE"); env && *env) out.emplace_back(env);
  const auto dir = executable_dir();
  out.push_back(dir / "libaxolotl_engine.so");
  out.push_back(dir / ".." / "lib" / "axolotl" / "libaxolotl_engine.so");
  return out;
}

const Api* open_engine() {
  std::string tried;
  std::string last_error;
  for (const auto& path : candidates()) {
    if (!std::filesystem::exists(path)) {
      tried += "\n    " + path.string() + " (absent)";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) {
      last_error = dlerror();
      tried += "\n    " + path.string() + " (" + last_error + ")";
      continue;
    }
    using Entry = const Api* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "axolotl_engine_api"));
    if (entry == nullptr) {
      tried += "\n    " + path.string() + " (no axolotl_engine_api symbol)";
      continue;
    }
    const Api* api = entry();
    if (api == nullptr || api->version != kApiVersion) {
      throw Error(Diagnostic{{path.string(), 0, 0}, {}, "engine library version mismatch",
                             api ? std::to_string(api->version) : "null", std::to_string(kApiVersion),
                             "rebuild: the executable and libaxolotl_engine.so come from different builds"});
    }
    log::debug("engine", "loaded {}", path.string());
    return api;
  }
  throw Error(Diagnostic{{}, {}, "cannot load the LibTorch engine (libaxolotl_engine.so)", "tried:" + tried, {},
                         "build the whole project (make build) or set AXOLOTL_ENGINE to the library's path"});
}

}  // namespace

const Api& load_engine() {
  util::configure_openmp();  // before libgomp comes in with LibTorch
  static const Api* api = open_engine();
  return *api;
}

}  // namespace axolotl::engine
