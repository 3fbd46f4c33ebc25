// DistributedContext (see distributed_context.h): rendezvous, process group and bounded collectives.
// The LibTorch CMake target defines USE_C10D_GLOO when LibTorch has Gloo (Debian's does) and
// USE_C10D_NCCL when it has NCCL (CUDA builds); a backend missing from the build is a clear error.
#include "axolotl/train/distributed_context.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <csignal>
#include <cstdlib>
#include <functional>
#include <thread>

#include "distributed_failure.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

struct DistributedContext::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::unique_ptr<FailureReporter> failures;
  int64_t sequence = 0;  // collectives issued so far (identical on every healthy rank)

  // Starts one collective and waits for it up to the timeout; any failure becomes an Error.
  // `payload` ("4096 BFloat16 values") prefixes the cause, so the message says what was moved.
  void run(const std::string& what, const std::string& payload,
           const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
    failures->throw_if_broken();
    const int64_t seq = ++sequence;
    std::string cause;
    try {
      auto work = start();
      if (work->wait(failures->timeout())) return;
      cause = "the collective was aborted";
    } catch (const c10::Error& e) {
      cause = e.what_without_backtrace();
    } catch (const std::exception& e) {
      cause = e.what();
    }
    failures->collective_failed(what, seq, payload + ": " + cause);
  }
};

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

// "4096 BFloat16 values": what a failing collective was moving.
std::string payload(const torch::Tensor& t) {
  return std::to_string(t.numel()) + " " + std::string(c10::toString(t.scalar_type())) + " values";
}

// The same storage under a dtype that Gloo's broadcast accepts in LibTorch 1.13 (float, double,
// half, int8, uint8, int32, int64): bf16/int16 as half, bool as uint8. Bitwise, never converted.
torch::Tensor as_gloo_bits(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kBFloat16:
    case torch::kInt16: return t.view(torch::kFloat16);
    case torch::kBool: return t.view(torch::kUInt8);
    default: return t;
  }
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

#ifdef USE_C10D_GLOO
// Gloo's transport device: GLOO_SOCKET_IFNAME as in PyTorch, loopback for a loopback master (one
// machine), otherwise the address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

CommBackend choose_backend(const std::string& name) {
#ifdef USE_C10D_NCCL
  const bool nccl_built = true;
#else
  const bool nccl_built = false;
#endif
#ifdef USE_C10D_GLOO
  const bool gloo_built = true;
#else
  const bool gloo_built = false;
#endif
  const bool cuda = torch::cuda::is_available();
  auto bad = [&](const std::string& message, const std::string& expected) {
    Diagnostic d;
    d.key = "distributed.backend";
    d.message = message;
    d.found = name;
    d.expected = expected;
    d.hint = "use backend: auto (NCCL with CUDA, otherwise Gloo)";
    return UsageError(d);
  };
  if (name == "auto" && nccl_built && cuda) return CommBackend::kNccl;
  if (name == "gloo" || name == "auto") {
    if (!gloo_built) throw bad("this LibTorch was built without Gloo", cuda && nccl_built ? "nccl" : "a LibTorch with Gloo");
    return CommBackend::kGloo;
  }
  if (name != "nccl") throw bad("unknown backend", "auto, gloo or nccl");
  if (!nccl_built) throw bad("this LibTorch was built without NCCL", "gloo or auto");
  if (!cuda) throw bad("NCCL needs CUDA, which is not available here", "gloo or auto");
  return CommBackend::kNccl;
}

c10::intrusive_ptr<c10d::Store> open_store(const DistributedEnv& env, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.waitWorkers = false;  // the check-in below waits instead, so that it can name who is missing
  options.timeout = timeout;
  try {
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
    std::string cause = ce != nullptr ? ce->what_without_backtrace() : e.what();
    if (env.rank == 0) {
      throw rendezvous_error(env, timeout, "rank 0 could not serve the rendezvous store", cause,
                             "MASTER_PORT free on this machine; another job (or a previous run) may hold it");
    }
    throw rendezvous_error(env, timeout, "rank 0 (the rendezvous store) was not reachable", cause,
                           "rank 0 listening on MASTER_ADDR:MASTER_PORT");
  }
}

// Every rank adds itself to a counter and sets its own key; all wait until the counter reaches
// WORLD_SIZE. On timeout the keys tell which ranks never came.
void check_in(c10d::Store& store, const DistributedEnv& env, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    store.set("axolotl/join/" + std::to_string(env.rank), {1});
    int64_t joined = store.add("axolotl/joined", 1);
    while (joined < env.world_size && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPoll);
      joined = store.add("axolotl/joined", 0);
    }
    if (joined >= env.world_size) return;
    std::vector<int> missing;
    for (int r = 0; r < env.world_size; ++r) {
      if (!store.check({"axolotl/join/" + std::to_string(r)})) missing.push_back(r);
    }
    throw rendezvous_error(env, timeout, ranks_phrase(missing) + " never joined",
                           std::to_string(joined) + " of " + std::to_string(env.world_size) + " ranks joined",
                           "all " + std::to_string(env.world_size) + " ranks");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
    throw rendezvous_error(env, timeout, "rank 0 (the rendezvous store) went away during the rendezvous",
                           ce != nullptr ? ce->what_without_backtrace() : e.what(), "rank 0 alive");
  }
}

}  // namespace

const char* backend_name(CommBackend backend) {
  switch (backend) {
    case CommBackend::kNone: return "none";
    case CommBackend::kGloo: return "gloo";
    case CommBackend::kNccl: return "nccl";
  }
  return "?";
}

std::unique_ptr<DistributedContext> DistributedContext::from_env(const config::DistributedConfig& config) {
  return std::make_unique<DistributedContext>(read_distributed_env(), config);
}

DistributedContext::DistributedContext(const DistributedEnv& env, const config::DistributedConfig& config)
    : env_(env), timeout_(std::chrono::milliseconds(static_cast<int64_t>(config.ddp_timeout_s) * 1000)) {
  if (!env_.distributed()) return;
  if (config.ddp_timeout_s <= 0) {
    Diagnostic d;
    d.key = "distributed.ddp_timeout_s";
    d.message = "must be positive";
    d.found = std::to_string(config.ddp_timeout_s);
    d.expected = "seconds > 0 (default 120)";
    throw UsageError(d);
  }
  backend_ = choose_backend(config.backend);
  // A peer that died closes its sockets; a write to one raises SIGPIPE, which would kill this rank with
  // status 141 and no message. Ignored, the write fails with EPIPE and the collective's error names the
  // lost rank (distributed_failure.h).
  std::signal(SIGPIPE, SIG_IGN);
  impl_ = std::make_unique<Impl>();
  log::info("distributed", "rank {} of {}: rendezvous at {}:{} (timeout {} s)", env_.rank, env_.world_size,
            env_.master_addr, env_.master_port, config.ddp_timeout_s);
  impl_->store = open_store(env_, timeout_);
  check_in(*impl_->store, env_, timeout_);
  impl_->failures = std::make_unique<FailureReporter>(env_, timeout_, impl_->store);

  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("axolotl/pg", impl_->store);
  try {
    if (backend_ == CommBackend::kGloo) {
#ifdef USE_C10D_GLOO
      auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
      options->devices.push_back(gloo_device(env_.master_addr));
      impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env_.rank, env_.world_size, options);
#endif
    } else {
#ifdef USE_C10D_NCCL
      device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank));
      // Without blocking wait, NCCL's Work::wait() returns before completion and ignores the timeout;
      // with it, a lost peer surfaces as an exception that the failure path below can diagnose.
      setenv("NCCL_BLOCKING_WAIT", "1", 0);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout_;
      impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env_.rank, env_.world_size, options);
#endif
    }
  } catch (const std::exception& e) {
    const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
    throw rendezvous_error(env_, timeout_, std::string("creating the ") + backend_name(backend_) + " process group failed",
                           ce != nullptr ? ce->what_without_backtrace() : e.what(), "every rank connected");
  }
  log::info("distributed", "rank {} of {} ready ({}, device {})", env_.rank, env_.world_size, backend_name(backend_),
            device_.str());
}

DistributedContext::~DistributedContext() = default;

void DistributedContext::barrier(const std::string& what) {
  if (!distributed()) return;
  // c10d's barrier is an all-reduce of a one-element tensor; doing it here keeps the device choice
  // (NCCL's barrier guesses the GPU from the rank) and the failure path in one place.
  auto token = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  all_reduce_sum(token, what);
}

double DistributedContext::all_reduce_sum(double value) { return all_reduce_sum(std::vector<double>{value})[0]; }

std::vector<double> DistributedContext::all_reduce_sum(const std::vector<double>& values) {
  if (!distributed() || values.empty()) return values;
  // (n,) float64; NCCL and Gloo both reduce doubles exactly in rank order-independent sums of integers.
  auto t = torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64)).to(device_);
  all_reduce_sum(t, "all_reduce(step sums)");
  t = t.to(torch::kCPU);
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

void DistributedContext::all_reduce_sum(torch::Tensor& tensor, const std::string& what) {
  if (!distributed()) return;
  // Gloo in this LibTorch has no bf16 reduction, and its fp16 one sums in 16 bits: both are summed
  // as float32 and rounded back once, as PyTorch DDP's fp16 compression hook rounds after the sum.
  const bool widen = backend_ == CommBackend::kGloo &&
                     (tensor.scalar_type() == torch::kBFloat16 || tensor.scalar_type() == torch::kFloat16);
  std::vector<torch::Tensor> tensors{widen ? tensor.to(torch::kFloat32) : tensor};
  impl_->run(what, payload(tensor), [&] {
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    options.timeout = timeout_;
    return impl_->group->allreduce(tensors, options);
  });
  if (widen) tensor.copy_(tensors[0]);
}

void DistributedContext::broadcast(std::vector<torch::Tensor>& tensors, int root, const std::string& what) {
  if (!distributed()) return;
  for (auto& t : tensors) {
    // A broadcast only copies bytes, so a dtype Gloo lacks travels bit for bit as one it has.
    std::vector<torch::Tensor> one{backend_ == CommBackend::kGloo ? as_gloo_bits(t) : t};
    impl_->run(what, payload(t), [&] {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      options.timeout = timeout_;
      return impl_->group->broadcast(one, options);
    });
  }
}

}  // namespace axolotl::train
