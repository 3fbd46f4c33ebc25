// Incremental SHA-256 (FIPS 180-4), used to verify Hub LFS downloads whose etag is the file's sha256.
// Plain C++, no dependency; about as fast as the network it checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace axolotl::io {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // 64 lower-case hex digits; finishes the hash (call once)

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// sha256 of a whole file as hex; throws IoError when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace axolotl::io
