// AtomicFile: temporary file in the destination folder, fsync, rename (POSIX rename is atomic
// within one filesystem, which the shared folder guarantees).
#include "axolotl/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "axolotl/io/write_fault.h"
#include "axolotl/util/error.h"

namespace axolotl::io {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what, int err) {
  throw IoError(Diagnostic{Location{path, 0, 0}, {}, what, std::strerror(err), {}, {}});
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(8, 'x');
  for (char& c : s) c = kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  fs::path p(path_);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_ = (dir / ("." + p.filename().string() + ".tmp-" + random_suffix())).string();
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  int err = errno;
  temp_.clear();
  fail_errno(path_, "cannot create a temporary file in " + dir.string(), err);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  if (fd_ < 0) throw IoError(Diagnostic{Location{path_, 0, 0}, {}, "write after commit", {}, {}, {}});
  const char* p = static_cast<const char*>(data);
  if (int err = injected_write_error(path_, written_, size)) fail_errno(path_, "cannot write", err);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size < (size_t{1} << 30) ? size : (size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(path_, "cannot write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw IoError(Diagnostic{Location{path_, 0, 0}, {}, "commit twice", {}, {}, {}});
  if (::fsync(fd_) != 0) fail_errno(path_, "cannot fsync", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno(path_, "cannot close", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail_errno(path_, "cannot rename " + temp_ + " to it", errno);
  committed_ = true;
  fs::path p(path_);
  sync_directory(p.has_parent_path() ? p.parent_path().string() : ".");
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile f(path);
  f.write(content.data(), content.size());
  f.commit();
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace axolotl::io
