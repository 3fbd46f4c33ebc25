// libFuzzer harness: dataset records from a .jsonl and a .json file (both readers), written to a
// private temporary file per process because RecordReader reads files.
#include "axolotl/data/record_reader.h"
#include "fuzz_file.h"
#include "fuzz_target.h"

namespace {

void read_all(const std::string& path, const std::string& text, bool keep_bad) {
  axolotl::fuzz::write_bytes(path, text);
  axolotl::data::RecordReader reader(path, "", "");
  axolotl::data::Record r;
  axolotl::Diagnostic bad;
  while (reader.next(r, keep_bad ? &bad : nullptr)) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  static const std::string jsonl = fuzz::temp_path(".jsonl");
  static const std::string json = fuzz::temp_path(".json");
  std::string text = fuzz::text_of(data, size);
  fuzz::expect_clean([&] { read_all(jsonl, text, size > 0 && (data[0] & 1)); });
  fuzz::expect_clean([&] { read_all(json, text, false); });
  return 0;
}
