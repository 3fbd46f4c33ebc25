// Core side of the sentencepiece boundary: finds and dlopens libaxolotl_spm.so in its own symbol
// scope (RTLD_LOCAL | RTLD_DEEPBIND, so its protobuf never meets LibTorch's). See the header.
#include "axolotl/data/sentencepiece_backend.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

// AddressSanitizer's runtime refuses RTLD_DEEPBIND (it would bypass its malloc interposition).
#if defined(__SANITIZE_ADDRESS__)
#define AXOLOTL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AXOLOTL_ASAN 1
#endif
#endif

namespace axolotl::data::spm {
namespace {
namespace fs = std::filesystem;

constexpr const char* kLibName = "libaxolotl_spm.so";

#ifdef AXOLOTL_ASAN
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

// The folder of libaxolotl_core.so (this function lives in it).
fs::path core_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&core_dir), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  fs::path p = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path(info.dli_fname).parent_path() : p.parent_path();
}

fs::path executable_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return fs::path(buf).parent_path();
}

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("AXOLOTL_SPM"); env && *env) out.emplace_back(env);
  if (auto dir = core_dir(); !dir.empty()) out.push_back(dir / kLibName);
  if (auto dir = executable_dir(); !dir.empty()) {
    out.push_back(dir / kLibName);
    out.push_back(dir / ".." / "lib" / "axolotl" / kLibName);
  }
  return out;
}

const Module* open_module() {
  std::string tried;
  for (const auto& path : candidates()) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      tried += "\n    " + path.string() + " (absent)";
      continue;
    }
    void* handle = dlopen(path.c_str(), kOpenFlags);
    if (handle == nullptr) {
      const char* err = dlerror();
      tried += "\n    " + path.string() + " (" + (err ? err : "dlopen failed") + ")";
      continue;
    }
    using Entry = const Module* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "axolotl_spm_module"));
    if (entry == nullptr) {
      tried += "\n    " + path.string() + " (no axolotl_spm_module symbol)";
      continue;
    }
    const Module* module = entry();
    if (module == nullptr || module->version() != kModuleVersion) {
      throw IoError(Diagnostic{{path.string(), 0, 0}, {}, "sentencepiece module version mismatch",
                               module ? std::to_string(module->version()) : "null",
                               std::to_string(kModuleVersion),
                               "rebuild: libaxolotl_spm.so and libaxolotl_core.so come from different builds"});
    }
    log::debug("tokenizer", "loaded {}", path.string());
    return module;
  }
  throw IoError(Diagnostic{{}, {}, "cannot load the sentencepiece module (libaxolotl_spm.so)", "tried:" + tried, {},
                           "build the axolotl_spm target, or set AXOLOTL_SPM to the library's path"});
}

}  // namespace

const Module& load_module() {
  // Not a function-local static: a failed load throws, and the next call should retry cleanly.
  static std::mutex mutex;
  static const Module* module = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (module == nullptr) module = open_module();
  return *module;
}

}  // namespace axolotl::data::spm
