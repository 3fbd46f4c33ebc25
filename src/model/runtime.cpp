// Device, dtype and thread settings of the engine.
#include "axolotl/model/runtime.h"

#include <cstdlib>
#include <thread>

#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {

torch::Device resolve_device(config::Device device) {
  if (device == config::Device::kCpu) return torch::kCPU;
  if (torch::cuda::is_available()) return torch::Device(torch::kCUDA, 0);
  if (device == config::Device::kCuda) {
    throw Error(Diagnostic{{}, "device", "CUDA requested but not available", "cuda", "cpu or auto",
                           "this LibTorch build or machine has no CUDA device"});
  }
  return torch::kCPU;
}

torch::ScalarType resolve_dtype(config::DType dtype, const LlamaConfig& model, const torch::Device& device) {
  switch (dtype) {
    case config::DType::kFloat32: return torch::kFloat32;
    case config::DType::kBFloat16: return torch::kBFloat16;
    case config::DType::kFloat16:
      // LibTorch's CPU kernels have no float16 matrix products: say so instead of an internal error.
      if (device.is_cpu()) {
        throw ConfigError({Diagnostic{{}, "fp16", "float16 needs a CUDA device; this run is on the CPU", "fp16: true",
                                      "bf16 or float32 on a CPU",
                                      "set bf16: true (or bf16: auto) on a CPU, or fp16 on a machine with a GPU"}});
      }
      return torch::kFloat16;
    case config::DType::kAuto: break;
  }
  if (device.is_cpu()) return torch::kFloat32;
  if (model.torch_dtype == "bfloat16") return torch::kBFloat16;
  if (model.torch_dtype == "float16") return torch::kFloat16;
  return torch::kFloat32;
}

void set_threads(int threads) {
  int n = threads;
  if (n <= 0) {  // OMP_NUM_THREADS (the local launcher sets cores / workers), else every core
    const char* env = std::getenv("OMP_NUM_THREADS");
    n = env != nullptr ? std::atoi(env) : 0;
  }
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  limit_blas_threads();
  log::debug("model", "intra-op threads: {}", n);
}

const char* dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return "other";
  }
}

}  // namespace axolotl::model
