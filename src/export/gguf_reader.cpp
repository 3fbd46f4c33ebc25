// GGUF v3 reader (checks as ggml/src/gguf.cpp gguf_init_from_file_impl).
#include "axolotl/export/gguf_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "axolotl/export/quantize.h"
#include "axolotl/io/half.h"
#include "axolotl/util/error.h"

namespace axolotl::gguf {
namespace {

class Cursor {
 public:
  Cursor(const uint8_t* p, uint64_t n, const std::string& file) : p_(p), n_(n), file_(file) {}
  template <typename T>
  T pod(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str(const char* what) {
    auto len = pod<uint64_t>(what);
    need(len, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }
  uint64_t pos() const { return pos_; }
  [[noreturn]] void fail(const std::string& what, const std::string& found, const std::string& expected) const {
    throw IoError(Diagnostic{Location{file_, 0, 0}, {}, "not a valid GGUF file: " + what, found, expected,
                             "was it written completely? (offset " + std::to_string(pos_) + ")"});
  }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > n_ - pos_) fail(std::string(what) + " runs past the end of the file", std::to_string(n) + " bytes",
                            std::to_string(n_ - pos_) + " left");
  }
  const uint8_t* p_;
  uint64_t n_;
  uint64_t pos_ = 0;
  const std::string& file_;
};

void read_element(Cursor& c, ValueType t, Value& v) {
  switch (t) {
    case ValueType::kUint8: v.ints.push_back(c.pod<uint8_t>("value")); break;
    case ValueType::kInt8: v.ints.push_back(c.pod<int8_t>("value")); break;
    case ValueType::kUint16: v.ints.push_back(c.pod<uint16_t>("value")); break;
    case ValueType::kInt16: v.ints.push_back(c.pod<int16_t>("value")); break;
    case ValueType::kUint32: v.ints.push_back(c.pod<uint32_t>("value")); break;
    case ValueType::kInt32: v.ints.push_back(c.pod<int32_t>("value")); break;
    case ValueType::kUint64: v.ints.push_back(static_cast<int64_t>(c.pod<uint64_t>("value"))); break;
    case ValueType::kInt64: v.ints.push_back(c.pod<int64_t>("value")); break;
    case ValueType::kBool: {
      auto b = c.pod<uint8_t>("value");
      if (b > 1) c.fail("bool value", std::to_string(b), "0 or 1");
      v.ints.push_back(b);
      break;
    }
    case ValueType::kFloat32: v.floats.push_back(c.pod<float>("value")); break;
    case ValueType::kFloat64: v.floats.push_back(c.pod<double>("value")); break;
    case ValueType::kString: v.strings.push_back(c.str("string")); break;
    case ValueType::kArray: c.fail("array of arrays", "array", "a scalar element type");
  }
}

Value read_value(Cursor& c) {
  Value v;
  auto t = c.pod<uint32_t>("value type");
  if (t > 12) c.fail("value type", std::to_string(t), "0..12");
  v.type = static_cast<ValueType>(t);
  if (!v.is_array()) {
    read_element(c, v.type, v);
    return v;
  }
  auto e = c.pod<uint32_t>("array element type");
  if (e > 12) c.fail("array element type", std::to_string(e), "0..12");
  v.elem = static_cast<ValueType>(e);
  auto n = c.pod<uint64_t>("array length");
  for (uint64_t i = 0; i < n; ++i) read_element(c, v.elem, v);
  return v;
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot open file", std::strerror(errno), {}, {}});
  struct stat st {};
  ::fstat(fd, &st);
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {
    void* m = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot map file", std::strerror(errno), {}, {}});
    }
    f->map_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);

  Cursor c(f->map_, f->size_, f->path_);
  auto magic = c.pod<uint32_t>("magic");
  if (magic != kMagic) c.fail("magic", std::to_string(magic), "\"GGUF\"");
  f->version_ = c.pod<uint32_t>("version");
  if (f->version_ < 2 || f->version_ > 3) c.fail("version", std::to_string(f->version_), "3 (or 2)");
  auto n_tensors = c.pod<int64_t>("tensor count");
  auto n_kv = c.pod<int64_t>("kv count");
  if (n_tensors < 0 || n_kv < 0 || static_cast<uint64_t>(n_tensors) > f->size_ ||
      static_cast<uint64_t>(n_kv) > f->size_) {
    c.fail("counts", std::to_string(n_tensors) + " tensors, " + std::to_string(n_kv) + " keys", "non-negative");
  }
  std::set<std::string> keys;
  for (int64_t i = 0; i < n_kv; ++i) {
    std::string key = c.str("key");
    if (!keys.insert(key).second) c.fail("duplicate key", key, "unique keys");
    Value v = read_value(c);
    if (key == "general.alignment") {
      if (v.type != ValueType::kUint32) c.fail("general.alignment type", value_type_name(v.type), "u32");
      auto a = static_cast<uint32_t>(v.as_int());
      if (a == 0 || (a & (a - 1)) != 0) c.fail("general.alignment", std::to_string(a), "a power of two");
      f->alignment_ = a;
    }
    f->kv_.emplace_back(std::move(key), std::move(v));
  }
  std::set<std::string> names;
  for (int64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = c.str("tensor name");
    if (t.name.size() > kMaxTensorName) c.fail("tensor name length", t.name, "at most 63 bytes");
    if (!names.insert(t.name).second) c.fail("duplicate tensor name", t.name, "unique names");
    auto n_dims = c.pod<uint32_t>("n_dims");
    if (n_dims == 0 || n_dims > 4) c.fail("n_dims of " + t.name, std::to_string(n_dims), "1..4");
    for (uint32_t d = 0; d < n_dims; ++d) {
      auto v = c.pod<int64_t>("dimension");
      if (v < 0) c.fail("dimension of " + t.name, std::to_string(v), ">= 0");
      t.ne.push_back(v);
    }
    int64_t elements = 1;  // the product must fit, or numel() and the byte size overflow (tests/fuzz)
    for (int64_t d : t.ne)
      if (__builtin_mul_overflow(elements, d, &elements) || elements > (int64_t{1} << 56))
        c.fail("shape of " + t.name, "more than 2^56 elements", "a tensor that fits in a file");
    auto type = c.pod<uint32_t>("tensor type");
    auto tt = type_traits(type);
    if (!tt) c.fail("type of " + t.name, std::to_string(type), "a known ggml type");
    t.type = static_cast<GgmlType>(type);
    if (t.ne[0] % tt->block_size != 0) {
      c.fail("row length of " + t.name, std::to_string(t.ne[0]), "a multiple of " + std::to_string(tt->block_size));
    }
    t.nbytes = type_nbytes(t.type, t.numel(), t.name);
    t.offset = c.pod<uint64_t>("tensor offset");
    f->tensors_.push_back(std::move(t));
  }
  f->data_start_ = (c.pos() + f->alignment_ - 1) / f->alignment_ * f->alignment_;
  uint64_t expected = 0;
  for (const auto& t : f->tensors_) {
    if (t.offset != expected) {
      c.fail("tensor " + t.name + " offset", std::to_string(t.offset), std::to_string(expected));
    }
    expected += (t.nbytes + f->alignment_ - 1) / f->alignment_ * f->alignment_;
    if (f->data_start_ + t.offset + t.nbytes > f->size_) {
      c.fail("data of " + t.name + " past the end of the file", std::to_string(f->data_start_ + t.offset + t.nbytes),
             "<= " + std::to_string(f->size_));
    }
  }
  return f;
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const Value* GgufFile::find(std::string_view key) const {
  for (const auto& kv : kv_) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

const Value& GgufFile::at(std::string_view key) const {
  if (const auto* v = find(key)) return *v;
  throw IoError(Diagnostic{Location{path_, 0, 0}, std::string(key), "GGUF key missing", {}, {}, {}});
}

const TensorInfo* GgufFile::tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<float> GgufFile::dequantize(const TensorInfo& t) const {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  const uint8_t* p = data(t);
  switch (t.type) {
    case GgmlType::kF32: std::memcpy(out.data(), p, out.size() * 4); break;
    case GgmlType::kF16:
      for (size_t i = 0; i < out.size(); ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = io::f16_to_f32(h);
      }
      break;
    case GgmlType::kBF16:
      for (size_t i = 0; i < out.size(); ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = io::bf16_to_f32(h);
      }
      break;
    default:
      if (!dequantize_row(t.type, p, out.data(), t.numel())) {
        throw IoError(Diagnostic{Location{path_, 0, 0}, t.name, "cannot dequantize this type",
                                 std::string(type_name(t.type)), "F32/F16/BF16/Q8_0/Q4_0/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K", {}});
      }
  }
  return out;
}

}  // namespace axolotl::gguf
