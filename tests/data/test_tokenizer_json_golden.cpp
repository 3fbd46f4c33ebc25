// Id-for-id parity of the tokenizer.json backend with transformers.js on the shared Llama-3, Qwen3
// and Gemma-3 tokenizers, and the decode round trip. Golden file tests/assets/tokenizer_json_golden.json
// is made by tests/reference/tokenizer_json_reference.mjs (see its header). Skips without ../shared.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {

const nlohmann::json& golden() {
  static const nlohmann::json g =
      nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/tokenizer_json_golden.json"));
  return g;
}

class JsonGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonGolden, IdsAndDecodeMatchTransformersJs) {
  AXOLOTL_REQUIRE_SHARED();
  const auto dir = testing::shared_dir() / "tokenizers" / GetParam();
  if (!std::filesystem::exists(dir / "tokenizer.json")) GTEST_SKIP() << dir << " absent";
  auto tok = Tokenizer::load(dir.string());
  for (const auto& c : golden()["tokenizers"][GetParam()]) {
    const std::string text = c["text"].get<std::string>();
    const auto want = c["ids"].get<std::vector<int32_t>>();
    const auto want_plain = c["ids_no_special"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok->encode(text), want) << "text: " << text;
    const auto plain = tok->encode(text, false, false);
    EXPECT_EQ(plain, want_plain) << "text: " << text;
    EXPECT_EQ(tok->decode(want_plain, false), c["decoded"].get<std::string>()) << "text: " << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, JsonGolden, ::testing::Values("llama3", "qwen3", "gemma3"));

}  // namespace
}  // namespace axolotl::data
