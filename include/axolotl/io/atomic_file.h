// AtomicFile: writes to a temporary file beside the destination, then fsync + rename on commit(),
// so readers never see a half-written file; without commit() the temporary is removed.
#pragma once

#include <cstddef>
#include <string>

namespace axolotl::io {

class AtomicFile {
 public:
  // Creates "<dir>/.<name>.tmp-<random>" (mode 0666 minus umask). IoError if that fails.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);  // all bytes or IoError
  void commit();                              // fsync, close, rename over path, fsync the folder
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  size_t written_ = 0;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& content);

// fsync of a folder, so that renames into it are durable (errors ignored: not all filesystems allow it).
void sync_directory(const std::string& dir);

}  // namespace axolotl::io
