// Incremental SHA-256, used to verify Hub LFS downloads whose etag is the file's sha256.
// Backed by OpenSSL's libcrypto (already required by libcurl), not a hand-written hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace axolotl::io {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // 64 lower-case hex digits; finishes the hash (call once)

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// sha256 of a whole file as hex; throws IoError when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace axolotl::io
