// For harnesses whose parser reads files: the input written to a private per-process temporary path.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace axolotl::fuzz {

// "<tmp>/axolotl-fuzz-<pid><suffix>" (a folder is created when `folder` is true).
inline std::string temp_path(const std::string& suffix, bool folder = false) {
  const auto p = std::filesystem::temp_directory_path() / ("axolotl-fuzz-" + std::to_string(getpid()) + suffix);
  if (folder) std::filesystem::create_directories(p);
  return p.string();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace axolotl::fuzz
