# Every third-party library comes from Debian packages (scripts/install-deps.sh); nothing is vendored.
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 QUIET CONFIG)
if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # SHA-256 of Hub downloads
find_package(PkgConfig REQUIRED)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
find_package(Threads REQUIRED)

# LibTorch: Debian's libtorch-dev (1.13, CPU) by default, or a CUDA build via -DTorch_DIR=...
find_package(Torch REQUIRED)
if(AXOLOTL_CUDA AND NOT TORCH_CUDA_LIBRARIES AND NOT CUDA_FOUND)
  message(WARNING "AXOLOTL_CUDA is ON but the LibTorch found at ${Torch_DIR} has no CUDA")
endif()

if(AXOLOTL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
