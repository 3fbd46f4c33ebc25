// torch.save-compatible pickles through LibTorch (see torch_pickle.h).
#include "axolotl/train/torch_pickle.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

[[noreturn]] void io_fail(const std::string& path, const std::string& message, const std::string& found,
                          const std::string& hint = {}) {
  Diagnostic d;
  d.where.file = path;
  d.message = message;
  d.found = found;
  d.hint = hint;
  throw IoError(d);
}

// torch::pickle_save without its type tags: pickle_save wraps every dict and list in
// torch.jit._pickle.restore_type_tag, a global that torch.load(weights_only=True) (torch >= 2.6's
// default, so Trainer's) refuses. Untagged, the file holds only dicts, lists, tuples, scalars and
// tensors (torch._utils._rebuild_tensor_v2 over typed storages), the safe set. Same zip layout.
std::vector<char> pickle_untagged(const torch::IValue& value) {
  std::vector<char> pickle_data;
  torch::jit::Pickler pickler([&](const char* buf, size_t size) { pickle_data.insert(pickle_data.end(), buf, buf + size); },
                              nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> out;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
      const char* bytes = static_cast<const char*>(data);
      out.insert(out.end(), bytes, bytes + n);
      return n;
    });
    torch::jit::writeArchiveAndTensors("data", pickle_data.data(), pickle_data.size(), pickler.tensorData(), writer);
    writer.writeEndOfFile();
  }
  return out;
}

}  // namespace

void write_torch_pickle(const std::string& path, const torch::IValue& value) {
  std::vector<char> bytes;
  try {
    bytes = pickle_untagged(value);  // in memory, so a write error is an IoError, never a torch abort
  } catch (const c10::Error& e) {
    io_fail(path, "cannot serialise the state", e.what_without_backtrace());
  }
  io::AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

torch::IValue read_torch_pickle(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) io_fail(path, "cannot open " + what, std::strerror(errno));
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    std::string found = e.what_without_backtrace();
    if (const auto nl = found.find('\n'); nl != std::string::npos) found.resize(nl);
    io_fail(path, "cannot read " + what + " (not a torch.save pickle this build can read)", found);
  }
}

c10::impl::GenericDict string_dict() {
  return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

c10::List<torch::IValue> any_list() { return c10::impl::GenericList(c10::AnyType::get()); }

PickleDict as_pickle_dict(const torch::IValue& value, const std::string& path, const std::string& what) {
  if (!value.isGenericDict()) io_fail(path, what + " is not a dict", value.tagKind());
  return {value, path, what};
}

void PickleDict::fail(const std::string& message, const std::string& found) const {
  io_fail(path, what + ": " + message, found);
}

bool PickleDict::has(const std::string& key) const { return value.toGenericDict().contains(key); }

torch::IValue PickleDict::at(const std::string& key) const {
  const auto d = value.toGenericDict();
  const auto it = d.find(key);
  if (it == d.end()) fail("no key '" + key + "'");
  return it->value();
}

PickleDict PickleDict::dict(const std::string& key) const {
  const torch::IValue v = at(key);
  if (!v.isGenericDict()) fail("key '" + key + "' is not a dict", v.tagKind());
  return {v, path, what + "['" + key + "']"};
}

c10::List<torch::IValue> PickleDict::list(const std::string& key) const {
  const torch::IValue v = at(key);
  if (v.isList()) return v.toList();
  if (v.isTuple()) {
    c10::List<torch::IValue> out = any_list();
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e);
    return out;
  }
  fail("key '" + key + "' is not a list", v.tagKind());
}

double PickleDict::number(const std::string& key) const {
  const torch::IValue v = at(key);
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  if (v.isBool()) return v.toBool() ? 1.0 : 0.0;
  if (v.isTensor() && v.toTensor().numel() == 1) return v.toTensor().item<double>();
  fail("key '" + key + "' is not a number", v.tagKind());
}

}  // namespace axolotl::train
