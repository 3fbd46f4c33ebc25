# Build options (all prefixed AXOLOTL_), compiler warnings, sanitizers and ccache.
option(AXOLOTL_BUILD_TESTS "Build the GoogleTest suites" ON)
option(AXOLOTL_BUILD_BENCH "Build the benchmark harness (bench/) and its smoke test" ON)
option(AXOLOTL_CUDA "Build against a CUDA-enabled LibTorch (found through Torch_DIR)" OFF)
option(AXOLOTL_WERROR "Treat compiler warnings as errors" OFF)
set(AXOLOTL_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
option(AXOLOTL_FUZZ "Build the libFuzzer harnesses in tests/fuzz (clang; see scripts/fuzz.sh)" OFF)

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

find_program(AXOLOTL_CCACHE ccache)
if(AXOLOTL_CCACHE)
  # Precompiled headers and ccache agree only with these settings (ccache manual, "Precompiled headers").
  # They go in the launcher: an environment variable set here would last only for the configure step.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
    "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime" ${AXOLOTL_CCACHE})
endif()

add_library(axolotl_warnings INTERFACE)
# -Wmaybe-uninitialized is GCC's alone (clang, used for the fuzz build, warns about the flag itself).
target_compile_options(axolotl_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
if(AXOLOTL_WERROR)
  target_compile_options(axolotl_warnings INTERFACE -Werror)
endif()

if(AXOLOTL_SANITIZE)
  add_compile_options(-fsanitize=${AXOLOTL_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${AXOLOTL_SANITIZE})
endif()
if(AXOLOTL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "AXOLOTL_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)  # coverage for libFuzzer in every library source
endif()

# The Python interpreter with torch and sentencepiece, for reference scripts and benchmarks.
find_program(AXOLOTL_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)

# fp32 matrix products through the system oneDNN (libdnnl-dev): it runs on LibTorch's OpenMP threads,
# where OpenBLAS's own pthreads would spin against them on few cores (bench/README.md). A CUDA build
# uses a PyTorch wheel's LibTorch, which carries its own oneDNN, so it stays off there.
if(AXOLOTL_CUDA)
  option(AXOLOTL_ONEDNN_GEMM "Route CPU fp32 matrix products through the system oneDNN" OFF)
else()
  option(AXOLOTL_ONEDNN_GEMM "Route CPU fp32 matrix products through the system oneDNN" ON)
endif()
