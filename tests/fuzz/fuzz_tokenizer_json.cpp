// libFuzzer harness: the tokenizer.json loader (every component's JSON), then encoding and decoding
// a few texts with whatever loaded.
#include "axolotl/data/tokenizer_json/json_tokenizer.h"
#include "fuzz_file.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  static const std::string dir = fuzz::temp_path("-tokenizer", true);
  fuzz::write_bytes(dir + "/tokenizer.json", fuzz::text_of(data, size));
  fuzz::expect_clean([&] {
    auto tok = data::tokjson::load_json_tokenizer(dir, {});
    for (const char* text : {"Hello world", "  tabs\\t\\nand 123 digits", "caf\\xc3\\xa9 \\xe4\\xb8\\xad \\xf0\\x9f\\x98\\x80", ""}) {
      const auto ids = tok->encode(text, true, true);
      tok->decode(ids, false);
      for (int32_t id : ids) tok->token_text(id);
    }
  });
  return 0;
}
