// libFuzzer harness: the GGUF reader (header, metadata values, tensor table, offsets) over a file.
#include "axolotl/export/gguf_reader.h"
#include "fuzz_file.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  static const std::string path = fuzz::temp_path(".gguf");
  fuzz::write_bytes(path, fuzz::text_of(data, size));
  fuzz::expect_clean([&] { gguf::GgufFile::open(path); });
  return 0;
}
