// Files Python's torch.load reads: an IValue (dicts, lists, tuples, numbers, strings, None, tensors)
// written as LibTorch's torch::pickle_save does (the zip layout of torch.save) but without its
// torch.jit type tags, so torch.load(weights_only=True) accepts it; read back with
// torch::pickle_load, which also reads what Python's torch.save wrote (no numpy objects, no classes).
// Plus the few accessors the checkpoint readers need to take such a value apart with errors that
// name the file and the key.
#pragma once

#include <torch/torch.h>

#include <string>

namespace axolotl::train {

// Atomic (temp file + rename); IoError naming the file when it cannot be written.
void write_torch_pickle(const std::string& path, const torch::IValue& value);

// IoError naming the file when it is missing or not a torch pickle (`what` says what it should hold).
torch::IValue read_torch_pickle(const std::string& path, const std::string& what);

// Accessors over a pickled dict: IoError(path, "<what>: no key 'k'" / "key 'k' is not a ...").
struct PickleDict {
  torch::IValue value;
  std::string path;
  std::string what;

  bool has(const std::string& key) const;
  torch::IValue at(const std::string& key) const;
  PickleDict dict(const std::string& key) const;
  c10::List<torch::IValue> list(const std::string& key) const;
  double number(const std::string& key) const;  // int, float, bool or a one-element tensor
  [[noreturn]] void fail(const std::string& message, const std::string& found = {}) const;
};

// A dict value as PickleDict (IoError when `value` is not a dict).
PickleDict as_pickle_dict(const torch::IValue& value, const std::string& path, const std::string& what);

// String-keyed dict of arbitrary values (what Python dicts become).
c10::impl::GenericDict string_dict();
// List of arbitrary values. Use it (not c10::List<int64_t> / <double>) for every list written: typed
// lists pickle through torch.jit._pickle.build_intlist & co, globals weights_only loading refuses.
c10::List<torch::IValue> any_list();

}  // namespace axolotl::train
