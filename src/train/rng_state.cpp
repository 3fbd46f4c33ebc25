// Trainer's rng_state.pth (see rng_state.h). MT19937 seeding as CPython's _randommodule.c
// (init_by_array over the seed's 32-bit words) and numpy's legacy seeding (init_genrand).
#include "axolotl/train/rng_state.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <mutex>

#include "axolotl/train/torch_pickle.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

constexpr int kN = 624;

std::vector<uint32_t> init_genrand(uint32_t s) {
  std::vector<uint32_t> mt(kN);
  mt[0] = s;
  for (int i = 1; i < kN; ++i) mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<uint32_t>(i);
  return mt;
}

std::vector<uint32_t> init_by_array(const std::vector<uint32_t>& key) {
  std::vector<uint32_t> mt = init_genrand(19650218u);
  size_t i = 1, j = 0;
  for (size_t k = std::max<size_t>(kN, key.size()); k; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    if (++i >= kN) { mt[0] = mt[kN - 1]; i = 1; }
    if (++j >= key.size()) j = 0;
  }
  for (size_t k = kN - 1; k; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    if (++i >= kN) { mt[0] = mt[kN - 1]; i = 1; }
  }
  mt[0] = 0x80000000u;
  return mt;
}

[[noreturn]] void io_fail(const std::string& path, const std::string& message, const std::string& found = {}) {
  Diagnostic d;
  d.where.file = path;
  d.message = message;
  d.found = found;
  throw IoError(d);
}

torch::Tensor generator_state(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(at::Generator gen, const torch::Tensor& state, const std::string& path) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  try {
    gen.set_state(state);
  } catch (const c10::Error& e) {
    io_fail(path, "cannot restore the random generator state", e.what_without_backtrace());
  }
}

torch::Tensor uint8_tensor(const torch::IValue& v, const std::string& path, const std::string& key) {
  if (!v.isTensor() || v.toTensor().scalar_type() != torch::kUInt8)
    io_fail(path, "the random generator state '" + key + "' is not a uint8 tensor", v.tagKind());
  return v.toTensor();
}

}  // namespace

std::vector<int64_t> python_random_state(uint64_t seed) {
  std::vector<uint32_t> key;
  for (uint64_t s = seed; s; s >>= 32) key.push_back(static_cast<uint32_t>(s & 0xffffffffu));
  if (key.empty()) key.push_back(0);
  const std::vector<uint32_t> mt = init_by_array(key);
  std::vector<int64_t> out(mt.begin(), mt.end());
  out.push_back(kN);
  return out;
}

std::vector<int64_t> numpy_random_key(uint64_t seed) {
  const std::vector<uint32_t> mt = init_genrand(static_cast<uint32_t>(seed & 0xffffffffu));
  return {mt.begin(), mt.end()};
}

torch::IValue rng_state_dict(const torch::Tensor& cpu, uint64_t seed, bool with_cuda) {
  auto d = string_dict();
  std::vector<torch::IValue> words;
  for (int64_t w : python_random_state(seed)) words.emplace_back(w);
  d.insert("python", c10::ivalue::Tuple::create({int64_t{3}, c10::ivalue::Tuple::create(std::move(words)),
                                                  torch::IValue()}));
  c10::List<torch::IValue> key = any_list();  // generic, see torch_pickle.h
  for (int64_t w : numpy_random_key(seed)) key.push_back(w);
  d.insert("numpy", c10::ivalue::Tuple::create({std::string("MT19937"), key, int64_t{kN}, int64_t{0}, 0.0}));
  d.insert("cpu", cpu);
  if (with_cuda)
    d.insert("cuda", generator_state(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, 0))));
  return d;
}

void save_rng_state(const std::string& path, uint64_t seed) {
  const torch::Tensor cpu = generator_state(at::detail::getDefaultCPUGenerator());  // (5056,) uint8
  write_torch_pickle(path, rng_state_dict(cpu, seed, torch::cuda::is_available()));
}

void load_rng_state(const std::string& path) {
  torch::IValue value;
  try {
    value = read_torch_pickle(path, "the random generator state");
  } catch (const IoError& not_pickle) {
    std::vector<torch::Tensor> tensors;  // an older checkpoint: a LibTorch archive of one uint8 tensor
    try {
      torch::load(tensors, path);
    } catch (const c10::Error&) {
      throw not_pickle;
    }
    if (tensors.size() != 1 || tensors[0].scalar_type() != torch::kUInt8)
      io_fail(path, "the random generator state is not one uint8 tensor");
    set_generator_state(at::detail::getDefaultCPUGenerator(), tensors[0], path);
    return;
  }
  const PickleDict d = as_pickle_dict(value, path, "the random generator state");
  const torch::Tensor cpu = uint8_tensor(d.at("cpu"), path, "cpu");
  std::vector<torch::Tensor> cuda;
  if (d.has("cuda") && torch::cuda::is_available()) {
    const torch::IValue c = d.at("cuda");
    if (c.isTensor()) {
      cuda.push_back(uint8_tensor(c, path, "cuda"));
    } else {
      for (const auto& e : d.list("cuda")) cuda.push_back(uint8_tensor(e, path, "cuda"));
    }
  }
  set_generator_state(at::detail::getDefaultCPUGenerator(), cpu, path);
  const size_t devices = torch::cuda::device_count();
  for (size_t i = 0; i < cuda.size() && i < devices; ++i)
    set_generator_state(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<int8_t>(i))),
                        cuda[i], path);
}

}  // namespace axolotl::train
