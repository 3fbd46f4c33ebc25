// See runtime_env.h.
#include "axolotl/util/runtime_env.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>

#include "axolotl/util/log.h"

namespace axolotl::util {

bool configure_openmp() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return false;
#if AXOLOTL_ONEDNN_GEMM
  setenv("GOMP_SPINCOUNT", "10000", 0);
#else
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
#endif
  return true;
}

void keep_freed_memory() {
  // Same effect as GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<long long>(68719476736LL, 0x7fffffff)));
  log::debug("runtime", "malloc keeps freed memory (mmap_max 0, trim threshold 2 GiB)");
}

void return_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  log::debug("runtime", "malloc returns freed blocks of 1 MiB or more to the OS");
}

}  // namespace axolotl::util
