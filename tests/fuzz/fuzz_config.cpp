// libFuzzer harness: the config loader (YAML in either dialect, then validation). The input is the
// YAML text; its first byte also chooses whether a command-line override is applied on top, so the
// override parser is covered too.
#include "axolotl/config/loader.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace axolotl;
  std::string yaml = fuzz::text_of(data, size);
  std::vector<std::string> overrides;
  if (size > 0 && (data[0] & 1)) overrides.push_back("learning_rate=2e-4");
  fuzz::expect_clean([&] { config::load_string(yaml, "fuzz.yml", overrides); });
  return 0;
}
