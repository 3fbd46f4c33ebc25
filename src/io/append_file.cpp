// AppendFile over a POSIX descriptor opened with O_APPEND (records are never interleaved mid-line).
#include "axolotl/io/append_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "axolotl/io/write_fault.h"
#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw IoError(Diagnostic{Location{path, 0, 0}, {}, what, std::strerror(err), {}, {}});
}

}  // namespace

AppendFile::AppendFile(std::string path, Mode mode) : path_(std::move(path)) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::kAppend ? O_APPEND : O_TRUNC);
  fd_ = ::open(path_.c_str(), flags, 0666);
  if (fd_ < 0) fail(path_, "cannot open for writing", errno);
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::write(const std::string& bytes) {
  const char* p = bytes.data();
  size_t size = bytes.size();
  if (int err = injected_write_error(path_, written_, size)) fail(path_, "cannot write", err);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "cannot write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<size_t>(n);
  }
}

}  // namespace axolotl::io
