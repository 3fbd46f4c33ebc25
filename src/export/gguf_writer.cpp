// GGUF v3 writer (ggml/src/gguf.cpp gguf_write_to_buf; gguf-py gguf_writer.py).
#include "axolotl/export/gguf_writer.h"

#include <set>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"
#include "axolotl/util/interrupt.h"

namespace axolotl::gguf {

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

uint64_t TensorEntry::nbytes() const {
  if (!ne.empty() && ne[0] % traits(type).block_size != 0) {
    throw Error(Diagnostic{{}, name, "row length is not a multiple of the type's block size",
                           std::to_string(ne[0]), "a multiple of " + std::to_string(traits(type).block_size) +
                           " for " + std::string(type_name(type)), {}});
  }
  return type_nbytes(type, numel(), name);
}

void GgufWriter::set(const std::string& key, Value value) {
  if (has(key)) throw Error(Diagnostic{{}, key, "duplicate GGUF key (llama.cpp refuses such files)", {}, {}, {}});
  kv_.emplace_back(key, std::move(value));
}

bool GgufWriter::has(const std::string& key) const {
  for (const auto& kv : kv_) {
    if (kv.first == key) return true;
  }
  return false;
}

void GgufWriter::add_tensor(TensorEntry tensor) {
  if (tensor.name.size() > kMaxTensorName) {
    throw Error(Diagnostic{{}, tensor.name, "tensor name too long for ggml", std::to_string(tensor.name.size()),
                           "at most 63 bytes", {}});
  }
  if (tensor.ne.empty() || tensor.ne.size() > 4) {
    throw Error(Diagnostic{{}, tensor.name, "tensor must have 1 to 4 dimensions", std::to_string(tensor.ne.size()), {}, {}});
  }
  for (const auto& t : tensors_) {
    if (t.name == tensor.name) throw Error(Diagnostic{{}, tensor.name, "duplicate tensor name", {}, {}, {}});
  }
  (void)tensor.nbytes();  // validates the block size now, before anything is written
  tensors_.push_back(std::move(tensor));
}

uint32_t GgufWriter::alignment() const {
  for (const auto& [key, v] : kv_) {
    if (key == "general.alignment") return static_cast<uint32_t>(v.as_int());
  }
  return kDefaultAlignment;
}

std::string GgufWriter::header() const {
  std::string out;
  encode_pod<uint32_t>(kMagic, out);
  encode_pod<uint32_t>(kVersion, out);
  encode_pod<uint64_t>(tensors_.size(), out);
  encode_pod<uint64_t>(kv_.size(), out);
  for (const auto& [key, v] : kv_) {
    encode_string(key, out);
    encode_value(v, out);
  }
  const uint64_t align = alignment();
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    encode_string(t.name, out);
    encode_pod<uint32_t>(static_cast<uint32_t>(t.ne.size()), out);
    for (int64_t d : t.ne) encode_pod<uint64_t>(static_cast<uint64_t>(d), out);
    encode_pod<uint32_t>(static_cast<uint32_t>(t.type), out);
    encode_pod<uint64_t>(offset, out);
    offset += align_up(t.nbytes(), align);
  }
  return out;
}

uint64_t GgufWriter::write(const std::function<void(size_t, size_t)>& progress) {
  const uint64_t align = alignment();
  std::string head = header();
  head.resize(align_up(head.size(), align), '\0');
  io::AtomicFile file(path_);
  file.write(head.data(), head.size());
  uint64_t total = head.size();
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    throw_if_interrupted("export");  // SIGINT/SIGTERM: the AtomicFile's temporary is removed
    const auto& t = tensors_[i];
    const uint64_t n = t.nbytes();
    const uint64_t padded = align_up(n, align);
    buffer.assign(padded, 0);
    t.fill(buffer.data());
    file.write(buffer.data(), padded);
    total += padded;
    if (progress) progress(i + 1, tensors_.size());
  }
  std::vector<uint8_t>().swap(buffer);
  file.commit();
  return total;
}

}  // namespace axolotl::gguf
