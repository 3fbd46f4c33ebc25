// Build facts for --version (see version.h); the macros come from src/cli/CMakeLists.txt.
#include "axolotl/cli/version.h"

#ifndef AXOLOTL_TORCH_VERSION
#define AXOLOTL_TORCH_VERSION "unknown"
#endif
#ifndef AXOLOTL_BUILD_CUDA
#define AXOLOTL_BUILD_CUDA 0
#endif
#ifndef AXOLOTL_CUDA_VERSION
#define AXOLOTL_CUDA_VERSION ""
#endif
#ifndef AXOLOTL_BUILD_ONEDNN
#define AXOLOTL_BUILD_ONEDNN 0
#endif

namespace axolotl::cli {

std::string version_text() {
  std::string s = std::string("axolotl ") + AXOLOTL_VERSION + "\n";
  s += std::string("libtorch: ") + AXOLOTL_TORCH_VERSION + "\n";
  const std::string cuda_version = AXOLOTL_CUDA_VERSION;
  s += std::string("cuda: ") + (AXOLOTL_BUILD_CUDA ? "yes" : "no");
  s += (AXOLOTL_BUILD_CUDA && !cuda_version.empty() ? " (CUDA " + cuda_version + ")" : std::string()) + "\n";
  s += std::string("onednn: ") +
       (AXOLOTL_BUILD_ONEDNN ? "yes (CPU fp32 matrix products through the system oneDNN)" : "no");
  return s;
}

}  // namespace axolotl::cli
