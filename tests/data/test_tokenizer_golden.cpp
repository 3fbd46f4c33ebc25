// Token-for-token parity with python3-sentencepiece on the shared Llama-2 and stories260K tokenizers.
// Golden file tests/assets/tokenizer_golden.json is made by tests/reference/tokenizer_reference.py
// (/usr/bin/python3 tests/reference/tokenizer_reference.py ../shared > tests/assets/tokenizer_golden.json).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axolotl/data/sentencepiece_backend.h"
#include "axolotl/data/tokenizer.h"
#include "test_support.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;

nlohmann::json golden() {
  return nlohmann::json::parse(testing::read_file(testing::source_dir() / "tests/assets/tokenizer_golden.json"));
}

bool has_special(const std::string& text) {
  for (const char* s : {"<s>", "</s>", "<unk>"}) {
    if (text.find(s) != std::string::npos) return true;
  }
  return false;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, SentencepieceModuleMatchesPython) {
  AXOLOTL_REQUIRE_SHARED();
  const auto g = golden()["tokenizers"][GetParam()];
  const std::string bytes = testing::read_file(testing::shared_dir() / g["path"].get<std::string>());
  std::string error;
  auto sp = spm::load_module().load(bytes, &error);
  ASSERT_TRUE(sp) << error;
  EXPECT_EQ(sp->piece_size(), g["piece_size"].get<int>());
  EXPECT_EQ(sp->bos_id(), g["bos_id"].get<int>());
  EXPECT_EQ(sp->eos_id(), g["eos_id"].get<int>());
  EXPECT_EQ(sp->unk_id(), g["unk_id"].get<int>());
  EXPECT_EQ(sp->pad_id(), g["pad_id"].get<int>());
  for (const auto& c : g["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(sp->encode(text), c["sp_ids"].get<std::vector<int>>()) << "text: " << text;
    EXPECT_EQ(sp->decode(c["sp_ids"].get<std::vector<int>>()), c["decoded"].get<std::string>()) << text;
  }
}

TEST_P(Golden, TokenizerMatchesHfSlowLlamaTokenizer) {
  AXOLOTL_REQUIRE_SHARED();
  const auto g = golden()["tokenizers"][GetParam()];
  // The folder: stories260K has tokenizer_config.json and special_tokens_map.json, llama2 has none.
  const fs::path model = testing::shared_dir() / g["path"].get<std::string>();
  auto tok = Tokenizer::load(model.parent_path().string());
  EXPECT_EQ(tok->vocab_size(), g["piece_size"].get<int>());
  EXPECT_EQ(tok->pad_id(), -1);
  ASSERT_TRUE(tok->add_bos());
  ASSERT_FALSE(tok->add_eos());
  for (const auto& c : g["cases"]) {
    const std::string text = c["text"];
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok->encode(text, false, false), ids) << "text: " << text;
    auto with_bos = ids;
    with_bos.insert(with_bos.begin(), g["bos_id"].get<int32_t>());
    EXPECT_EQ(tok->encode(text), with_bos) << "text: " << text;
    if (!has_special(text)) {
      EXPECT_EQ(tok->decode(with_bos), c["decoded"].get<std::string>()) << text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, Golden, ::testing::Values("llama2", "stories260K"));

}  // namespace
}  // namespace axolotl::data
