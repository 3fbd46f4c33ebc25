// write_safetensors: the reference writer's layout (FORMATS.md §1.4, tensor.rs prepare/serialize),
// streamed to an AtomicFile one tensor at a time, so peak memory is the largest tensor.
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <set>

#include "axolotl/io/atomic_file.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"
#include "json_text.h"

namespace axolotl::io {
namespace {

[[noreturn]] void fail(const std::string& tensor, std::string message, std::string found = {},
                       std::string expected = {}) {
  throw IoError(Diagnostic{{}, tensor, std::move(message), std::move(found), std::move(expected), {}});
}

void check_names(const std::vector<TensorSource>& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__") fail(t.name, "reserved tensor name", "\"__metadata__\"", "any other name");
    if (detail::invalid_utf8_at(t.name) != detail::kValidUtf8) fail(t.name, "tensor name is not UTF-8");
    if (!seen.insert(t.name).second) fail(t.name, "duplicate tensor name", "the name twice", "unique names");
  }
  for (const auto& [k, v] : metadata) {
    if (detail::invalid_utf8_at(k) != detail::kValidUtf8 || detail::invalid_utf8_at(v) != detail::kValidUtf8) {
      fail("__metadata__", "metadata is not UTF-8", "key \"" + k + "\"", "UTF-8 text");
    }
  }
}

}  // namespace

std::string safetensors_header_json(const std::vector<TensorSource>& tensors,
                                    const std::map<std::string, std::string>& metadata,
                                    std::vector<size_t>* order) {
  check_names(tensors, metadata);
  std::vector<size_t> idx(tensors.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  // Largest alignment (latest dtype in enum order) first, then name (tensor.rs prepare).
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (tensors[a].dtype != tensors[b].dtype) return tensors[a].dtype > tensors[b].dtype;
    return tensors[a].name < tensors[b].name;
  });
  // serde_json::to_string of Metadata: `__metadata__` first (keys sorted here; the reference's
  // HashMap order is unspecified), then tensors in offset order; fields dtype, shape, data_offsets.
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) json += ',';
      first = false;
      detail::append_json_string(json, k);
      json += ':';
      detail::append_json_string(json, v);
    }
    json += '}';
  }
  uint64_t offset = 0;
  for (size_t i : idx) {
    const TensorSource& t = tensors[i];
    uint64_t n = t.nbytes();  // validates the shape
    if (json.size() > 1) json += ',';
    detail::append_json_string(json, t.name);
    json += ":{\"dtype\":\"";
    json += dtype_name(t.dtype);
    json += "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (d > 0) json += ',';
      json += std::to_string(t.shape[d]);
    }
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + n) + "]}";
    offset += n;
    if (offset > kMaxSafetensorsInt) fail(t.name, "tensor data too large for safetensors", std::to_string(offset) + " bytes", "at most 2^48-1");
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');  // "Force alignment to 8 bytes."
  if (json.size() > kMaxHeaderSize) {
    fail({}, "safetensors header too large", std::to_string(json.size()) + " bytes",
         "at most " + std::to_string(kMaxHeaderSize));
  }
  if (order != nullptr) *order = std::move(idx);
  return json;
}

TensorSource tensor_from_bytes(std::string name, DType dtype, std::vector<int64_t> shape, const void* data) {
  TensorSource t{std::move(name), dtype, std::move(shape), {}};
  uint64_t n = t.nbytes();
  if (n > 0 && data == nullptr) fail(t.name, "no data for tensor", "a null pointer", std::to_string(n) + " bytes");
  t.fill = [data, n](uint8_t* dst) { std::memcpy(dst, data, n); };
  return t;
}

TensorSource tensor_owning_bytes(std::string name, DType dtype, std::vector<int64_t> shape,
                                 std::vector<uint8_t> bytes) {
  TensorSource t{std::move(name), dtype, std::move(shape), {}};
  uint64_t n = t.nbytes();
  if (bytes.size() != n) {
    fail(t.name, "byte count does not match shape and dtype", std::to_string(bytes.size()) + " bytes",
         std::to_string(n) + " bytes");
  }
  auto owned = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  t.fill = [owned](uint8_t* dst) {
    if (!owned->empty()) std::memcpy(dst, owned->data(), owned->size());
  };
  return t;
}

void write_safetensors(const std::string& path, const std::vector<TensorSource>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<size_t> order;
  std::string header;
  try {
    header = safetensors_header_json(tensors, metadata, &order);
  } catch (const IoError& e) {
    Diagnostic d = e.diagnostic();
    d.where = Location{path, 0, 0};
    throw IoError(d);
  }
  uint64_t largest = 0;
  for (const auto& t : tensors) {
    largest = std::max(largest, t.nbytes());
    if (!t.fill) throw IoError(Diagnostic{Location{path, 0, 0}, t.name, "tensor has no fill function", {}, {}, {}});
  }
  // A guard word after the buffer catches a fill that writes past its tensor.
  constexpr uint8_t kGuard[8] = {0xA5, 0x5A, 0xC3, 0x3C, 0x96, 0x69, 0x0F, 0xF0};
  std::vector<uint8_t> buffer(static_cast<size_t>(largest) + sizeof(kGuard));

  AtomicFile file(path);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  file.write(len, 8);
  file.write(header.data(), header.size());
  for (size_t i : order) {
    const TensorSource& t = tensors[i];
    size_t n = static_cast<size_t>(t.nbytes());
    if (n == 0) continue;
    std::memcpy(buffer.data() + n, kGuard, sizeof(kGuard));
    t.fill(buffer.data());
    if (std::memcmp(buffer.data() + n, kGuard, sizeof(kGuard)) != 0) {
      throw IoError(Diagnostic{Location{path, 0, 0}, t.name, "tensor fill wrote past its end", {},
                               std::to_string(n) + " bytes", {}});
    }
    file.write(buffer.data(), n);
  }
  file.commit();
}

}  // namespace axolotl::io
