// `axolotl --version`: this build's version and the engine it was built against (LibTorch version,
// CUDA, oneDNN), recorded by CMake at configure time so that printing it never loads LibTorch.
#pragma once

#include <string>

namespace axolotl::cli {

// Lines "axolotl X.Y.Z", "libtorch: V", "cuda: yes [(CUDA V)]|no", "onednn: yes (...)|no"; no final
// newline.
std::string version_text();

}  // namespace axolotl::cli
