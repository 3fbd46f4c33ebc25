// FolderLock: one run per output folder. An advisory flock on "<dir>/.axolotl.lock" held for the
// lock's lifetime (the kernel releases it when the process dies, so a crash never leaves it stuck);
// the file names the holder's PID and host so that a refused run can say who holds it.
#pragma once

#include <string>

namespace axolotl::io {

class FolderLock {
 public:
  // Creates `dir` when missing. IoError naming the holder (PID, host, since when) when another process
  // holds the lock, or the OS reason when the lock file cannot be created.
  FolderLock(const std::string& dir, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace axolotl::io
