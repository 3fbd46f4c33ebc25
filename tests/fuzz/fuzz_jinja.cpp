// libFuzzer harness: the Jinja lexer and parser, then a render with no variables (undefined values,
// loops over nothing, raise_exception).
#include "axolotl/data/jinja/template.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  fuzz::expect_clean([&] {
    data::jinja::Template t(fuzz::text_of(data, size), "fuzz.jinja");
    t.render({});
  });
  return 0;
}
