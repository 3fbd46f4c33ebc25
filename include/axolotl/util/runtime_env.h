// Process-wide runtime settings the product applies itself, so users need no environment variables:
// OpenMP's wait policy (before LibTorch loads) and glibc malloc's handling of large freed buffers.
#pragma once

namespace axolotl::util {

// Sets OMP_WAIT_POLICY=PASSIVE unless the user set it. libgomp's default spin-waiting steals the few
// cores from the threads doing work (measured here: training ~10x slower on a loaded 2-core machine).
// Must run before LibTorch (and so libgomp) is loaded; engine::load_engine() calls it.
void configure_openmp();

// Keeps freed large buffers in the heap instead of returning them to the OS (glibc M_MMAP_MAX=0 and
// the largest M_TRIM_THRESHOLD mallopt takes, 2 GiB), so a training step's big activations are not page-faulted in anew every
// step (~2x on this CPU). Resident memory then stays at its high-water mark, so callers skip it when
// they rely on memory going back (e.g. quantizing a loaded dense model).
void keep_freed_memory();

}  // namespace axolotl::util
