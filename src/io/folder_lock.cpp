// FolderLock with flock(2): advisory, per open file, released by the kernel on exit or crash.
#include "axolotl/io/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

std::string read_fd(int fd) {
  std::string s(512, '\0');
  const ssize_t n = ::pread(fd, s.data(), s.size(), 0);
  s.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

FolderLock::FolderLock(const std::string& dir, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "cannot create the folder", ec.message(), {}, {}});
  path_ = (std::filesystem::path(dir) / ".axolotl.lock").string();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0)
    throw IoError(Diagnostic{Location{path_, 0, 0}, {}, "cannot create the lock file", std::strerror(errno), {}, {}});
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = read_fd(fd_);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK)
      throw IoError(Diagnostic{Location{path_, 0, 0}, {}, "cannot lock the folder", std::strerror(err), {}, {}});
    Diagnostic d;
    d.where.file = dir;
    d.message = "another run is using this folder (" + what + " refused so that neither overwrites the other)";
    d.found = holder.empty() ? "a lock held by another process" : holder;
    d.hint = "wait for it to finish, stop it, or choose another output_dir";
    throw IoError(d);
  }
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  const std::time_t now = std::time(nullptr);
  char when[32] = "";
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const std::string who = what + " pid " + std::to_string(::getpid()) + " on host " + host + " since " + when + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd_, who.data(), who.size(), 0);
  }
}

FolderLock::~FolderLock() {
  if (fd_ < 0) return;
  [[maybe_unused]] int r = ::ftruncate(fd_, 0);
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace axolotl::io
