// Process-wide runtime settings the product applies itself, so users need no environment variables:
// OpenMP's wait policy (before LibTorch loads) and glibc malloc's handling of large freed buffers.
#pragma once

namespace axolotl::util {

// How OpenMP threads wait between parallel regions, unless the user set OMP_WAIT_POLICY or
// GOMP_SPINCOUNT. With oneDNN doing the fp32 products (model/cpu_gemm.h) OpenMP's are the only busy
// threads: a short spin (GOMP_SPINCOUNT=10000) before sleeping, ~1.15x faster steps than sleeping at
// once. Without it OpenBLAS's pool competes with OpenMP's and libgomp's default spinning steals the
// few cores (training ~10x slower on a loaded 2-core machine), so OMP_WAIT_POLICY=PASSIVE.
// Must run before LibTorch (and so libgomp) is loaded; engine::load_engine() calls it. Returns true
// when it changed the environment (a process that already has libgomp must re-exec to apply it).
bool configure_openmp();

// Keeps freed large buffers in the heap instead of returning them to the OS (glibc M_MMAP_MAX=0 and
// the largest M_TRIM_THRESHOLD mallopt takes, 2 GiB), so a training step's big activations are not page-faulted in anew every
// step (~2x on this CPU). Resident memory then stays at its high-water mark, so callers skip it when
// they rely on memory going back (e.g. quantizing a loaded dense model).
void keep_freed_memory();

// The opposite, for memory-bound runs (QLoRA / 8-bit): every allocation of 1 MiB or more is its own
// mapping, unmapped when freed (a fixed M_MMAP_THRESHOLD; glibc's default threshold rises with each
// freed large block and then serves such blocks from a heap that fragments and is not trimmed).
// Measured on the benchmark's 1.8 GB model: QLoRA peak RSS 1327 -> 1185 MB.
void return_freed_memory();

}  // namespace axolotl::util
