// AppendFile: a log-like file (metrics.jsonl, TensorBoard events) written record by record. Every
// record is written whole and flushed; a failed write throws IoError naming the file and the OS reason.
#pragma once

#include <cstddef>
#include <string>

namespace axolotl::io {

class AppendFile {
 public:
  enum class Mode { kAppend, kTruncate };
  // IoError when the file cannot be opened (or created).
  AppendFile(std::string path, Mode mode);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void write(const std::string& bytes);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  size_t written_ = 0;
};

}  // namespace axolotl::io
