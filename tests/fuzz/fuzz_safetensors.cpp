// libFuzzer harness: the safetensors header parser over an exact-size buffer (ASan sees any read
// past the end).
#include <cstring>
#include <memory>

#include "axolotl/io/safetensors.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  fuzz::expect_clean([&] { io::parse_safetensors(copy.get(), size, "fuzz.safetensors"); });
  return 0;
}
