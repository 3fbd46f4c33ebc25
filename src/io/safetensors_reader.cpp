// SafetensorsFile: maps a file read-only (MAP_PRIVATE) and validates it with parse_safetensors;
// tensor data is served straight from the mapping, so opening costs no copy.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  int err = errno;
  throw IoError(Diagnostic{Location{path, 0, 0}, {}, what, std::strerror(err), {}, {}});
}

// Closes the descriptor on every path out of open().
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  Fd fd;
  fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) fail_errno(path, "cannot open safetensors file");
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) fail_errno(path, "cannot stat safetensors file");
  if (!S_ISREG(st.st_mode)) {
    throw IoError(Diagnostic{Location{path, 0, 0}, {}, "not a regular file", {}, "a safetensors file", {}});
  }
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->map_size_ = static_cast<size_t>(st.st_size);
  if (f->map_size_ > 0) {  // mmap of length 0 fails; an empty file is reported by the parser
    void* p = ::mmap(nullptr, f->map_size_, PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (p == MAP_FAILED) fail_errno(path, "cannot map safetensors file");
    f->map_ = static_cast<const uint8_t*>(p);
  }
  static const uint8_t kEmpty = 0;
  SafetensorsHeader h = parse_safetensors(f->map_ ? f->map_ : &kEmpty, f->map_size_, path);  // ~ unmaps on throw
  f->tensors_ = std::move(h.tensors);
  f->metadata_ = std::move(h.metadata);
  f->data_start_ = static_cast<size_t>(h.data_start);
  for (size_t i = 0; i < f->tensors_.size(); ++i) f->index_.emplace(f->tensors_[i].name, i);
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsFile::at(std::string_view name) const {
  if (const TensorInfo* t = find(name)) return *t;
  throw IoError(Diagnostic{Location{path_, 0, 0}, std::string(name), "tensor not found in safetensors file",
                           std::to_string(tensors_.size()) + " other tensors", {}, {}});
}

void SafetensorsFile::release(const TensorInfo& info) const {
  const uint8_t* begin = data(info);
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  // Only whole pages inside the tensor: neighbours sharing a page may not have been read yet.
  const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(begin) + info.nbytes()) / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const uint8_t* SafetensorsFile::data(const TensorInfo& info) const {
  // Only infos of this file are valid here: check the range so a foreign one cannot read out of bounds.
  if (info.begin > info.end || info.end > map_size_ - data_start_) {
    throw IoError(Diagnostic{Location{path_, 0, 0}, info.name, "tensor range outside the file", {}, {}, {}});
  }
  return map_ + data_start_ + info.begin;
}

}  // namespace axolotl::io
