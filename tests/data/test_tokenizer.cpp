// data::Tokenizer on the tiny tokenizer trained from examples/tiny/corpus.txt: side files,
// overrides, added/special tokens, decode round trips, streaming text, errors, trainer determinism.
#include <gtest/gtest.h>

#include <cstdlib>

#include "axolotl/data/tokenizer.h"
#include "axolotl/data/tokenizer_trainer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;
using testing::read_file;
using testing::write_file;

// One tiny tokenizer per test binary, trained once (about 0.1 s).
class TinyTokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    pieces_ = train_tokenizer((testing::source_dir() / "examples/tiny/corpus.txt").string(),
                              (dir_->path() / "tok").string(), 512, 0);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // A fresh folder holding a copy of the tiny tokenizer.model (and no side files).
  fs::path bare_copy(const testing::TempDir& tmp) const {
    fs::copy_file(dir_->path() / "tok" / "tokenizer.model", tmp / "tokenizer.model");
    return tmp.path();
  }
  static fs::path tok_dir() { return dir_->path() / "tok"; }

  static testing::TempDir* dir_;
  static int pieces_;
};
testing::TempDir* TinyTokenizer::dir_ = nullptr;
int TinyTokenizer::pieces_ = 0;

TEST_F(TinyTokenizer, TrainedFilesAndDefaults) {
  EXPECT_EQ(pieces_, 512);
  auto tok = Tokenizer::load(tok_dir().string());
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->pad_id(), -1);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  EXPECT_EQ(tok->id_to_token(1), "<s>");
  EXPECT_EQ(tok->token_to_id("</s>"), 2);
  EXPECT_EQ(tok->token_to_id("<0x41>"), 3 + 0x41);  // byte pieces follow the 3 specials
  EXPECT_FALSE(tok->token_to_id("no such piece").has_value());
  const std::string config = read_file(tok_dir() / "tokenizer_config.json");
  EXPECT_NE(config.find("\"tokenizer_class\": \"LlamaTokenizer\""), std::string::npos);
  EXPECT_NE(config.find("\"add_bos_token\": true"), std::string::npos);
  EXPECT_NE(read_file(tok_dir() / "special_tokens_map.json").find("\"eos_token\": \"</s>\""), std::string::npos);
}

TEST_F(TinyTokenizer, EncodeAddsBosAndEosAsAsked) {
  auto tok = Tokenizer::load(tok_dir().string());
  const auto plain = tok->encode("The cat sat in the garden.", false, false);
  ASSERT_FALSE(plain.empty());
  auto with = tok->encode("The cat sat in the garden.");
  ASSERT_EQ(with.size(), plain.size() + 1);
  EXPECT_EQ(with.front(), 1);
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), with.begin() + 1));
  with = tok->encode("The cat sat in the garden.", true, true);
  EXPECT_EQ(with.back(), 2);
  EXPECT_EQ(tok->encode("", false, false), std::vector<int32_t>{});
  EXPECT_EQ(tok->encode("", true, true), (std::vector<int32_t>{1, 2}));
}

TEST_F(TinyTokenizer, DecodeRoundTripsIncludingByteFallback) {
  auto tok = Tokenizer::load(tok_dir().string());
  for (const std::string text : {"Hello world", "naïve café 😀 你好", "tab\tand\nnewline", "  two leading",
                                 "Meet me at 12:30.", "a <s> b </s> c"}) {
    const auto ids = tok->encode(text, true, true);
    EXPECT_EQ(tok->decode(ids, /*skip_special_tokens=*/false), "<s>" + text + "</s>") << text;
  }
  // Emoji are unseen in the corpus: they go through <0xHH> byte pieces and come back intact.
  const auto ids = tok->encode("😀", false, false);
  EXPECT_EQ(ids.size(), 5u);  // "▁" + 4 bytes
  EXPECT_EQ(tok->decode(ids), "😀");
  EXPECT_EQ(tok->decode(tok->encode("The dog ran.", true, true)), "The dog ran.");
}

TEST_F(TinyTokenizer, SpecialTokensInTextAreSplitOut) {
  auto tok = Tokenizer::load(tok_dir().string());
  const auto ids = tok->encode("<s>hello</s>", false, false);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(std::vector<int32_t>(ids.begin() + 1, ids.end() - 1), tok->encode("hello", false, false));
  // Incomplete special tokens stay text.
  for (int32_t id : tok->encode("<s incomplete </s", false, false)) EXPECT_FALSE(tok->is_special(id));
  EXPECT_EQ(tok->decode(ids, /*skip_special_tokens=*/true), "hello");
}

TEST_F(TinyTokenizer, TokenTextForStreaming) {
  auto tok = Tokenizer::load(tok_dir().string());
  const std::string text = "The fox ran 😀 home.";
  std::string streamed;
  for (int32_t id : tok->encode(text, true, true)) streamed += tok->token_text(id);
  EXPECT_EQ(streamed, " " + text);  // the dummy-prefix space stays; specials print nothing
  EXPECT_EQ(tok->token_text(1), "");
  EXPECT_EQ(tok->token_text(3 + 0xF0), "\xF0");
}

TEST_F(TinyTokenizer, SideFilesSetFlagsAndTokens) {
  testing::TempDir tmp;
  const fs::path dir = bare_copy(tmp);
  write_file(dir / "tokenizer_config.json", R"({
    "add_bos_token": false, "add_eos_token": true,
    "pad_token": {"__type": "AddedToken", "content": "<pad>", "lstrip": false, "special": true},
    "added_tokens_decoder": {"512": {"content": "<pad>", "special": true},
                             "513": {"content": "<|im_start|>", "special": true},
                             "514": {"content": "<|im_end|>", "special": true}}})");
  write_file(dir / "added_tokens.json", R"({"<tool>": 515})");
  auto tok = Tokenizer::load(dir.string());
  EXPECT_FALSE(tok->add_bos());
  EXPECT_TRUE(tok->add_eos());
  EXPECT_EQ(tok->vocab_size(), 516);
  EXPECT_EQ(tok->pad_id(), 512);
  EXPECT_TRUE(tok->is_special(513));
  EXPECT_FALSE(tok->is_special(515));
  const auto ids = tok->encode("<|im_start|>user\nhi<|im_end|><tool>");
  EXPECT_EQ(ids.front(), 513);
  EXPECT_EQ(ids.back(), 2);           // add_eos_token true
  EXPECT_EQ(ids[ids.size() - 2], 515);
  EXPECT_EQ(tok->decode(ids, false), "<|im_start|>user\nhi<|im_end|><tool></s>");
  EXPECT_EQ(tok->decode(ids, true), "user\nhi<tool>");
  EXPECT_EQ(tok->token_text(515), "<tool>");
  EXPECT_EQ(tok->id_to_token(514), "<|im_end|>");
}

TEST_F(TinyTokenizer, SpecialTokensMapWinsOverConfigAndOverridesWinOverBoth) {
  testing::TempDir tmp;
  const fs::path dir = bare_copy(tmp);
  write_file(dir / "tokenizer_config.json", R"({"pad_token": "<unk>", "add_bos_token": true})");
  write_file(dir / "special_tokens_map.json", R"({"pad_token": {"content": "</s>"}})");
  EXPECT_EQ(Tokenizer::load(dir.string())->pad_id(), 2);

  config::TokenizerConfig overrides;
  overrides.special_tokens["pad_token"] = "<unk>";
  overrides.add_bos_token = false;
  overrides.added_tokens = {"<|user|>", "<|assistant|>"};
  auto tok = Tokenizer::load(dir.string(), overrides);
  EXPECT_EQ(tok->pad_id(), 0);
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(tok->vocab_size(), 514);
  EXPECT_EQ(tok->token_to_id("<|user|>"), 512);
  EXPECT_EQ(tok->token_to_id("<|assistant|>"), 513);
  EXPECT_FALSE(tok->is_special(512));  // `tokens:` are plain added tokens, kept by decode
  EXPECT_EQ(tok->encode("<|user|>hi<|assistant|>").front(), 512);
  EXPECT_EQ(tok->decode(tok->encode("<|user|>hi")), "<|user|>hi");
}

TEST_F(TinyTokenizer, NewPadTokenGrowsTheVocabulary) {
  config::TokenizerConfig overrides;
  overrides.special_tokens["pad_token"] = "[PAD]";
  auto tok = Tokenizer::load((tok_dir() / "tokenizer.model").string(), overrides);
  EXPECT_EQ(tok->vocab_size(), 513);
  EXPECT_EQ(tok->pad_id(), 512);
  EXPECT_TRUE(tok->is_special(512));
  EXPECT_EQ(tok->encode("a[PAD]", false, false).back(), 512);
}

TEST_F(TinyTokenizer, LongestRegisteredTokenWins) {
  config::TokenizerConfig overrides;
  overrides.added_tokens = {"<|a|>", "<|a|><|b|>"};
  auto tok = Tokenizer::load(tok_dir().string(), overrides);
  EXPECT_EQ(tok->encode("<|a|><|b|><|a|>", false, false), (std::vector<int32_t>{513, 512}));
}

TEST_F(TinyTokenizer, OutOfRangeIdsThrow) {
  auto tok = Tokenizer::load(tok_dir().string());
  EXPECT_THROW(tok->decode({5, 512}), Error);
  EXPECT_THROW(tok->token_text(-1), Error);
  EXPECT_FALSE(tok->is_special(100000));
}

TEST(TokenizerErrors, MissingModelNamesThePathAndABadJsonIsNamed) {
  testing::TempDir tmp;
  try {
    Tokenizer::load(tmp.path().string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find((tmp / "tokenizer.model").string()), std::string::npos) << e.what();
  }
  write_file(tmp / "tokenizer.json", "{}");  // now read by the tokenizer.json backend
  try {
    Tokenizer::load(tmp.path().string());
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer::load((tmp / "nope").string()), IoError);
  EXPECT_THROW(Tokenizer::load((tmp / "tokenizer.json").string()), Error);
}

TEST_F(TinyTokenizer, CorruptModelAndBadSideFilesAreIoErrors) {
  {
    testing::TempDir tmp;
    write_file(tmp / "tokenizer.model", "this is not a protobuf");
    EXPECT_THROW(Tokenizer::load(tmp.path().string()), IoError);
  }
  testing::TempDir tmp;
  const fs::path dir = bare_copy(tmp);
  write_file(dir / "tokenizer_config.json", R"({"add_bos_token": "yes"})");
  try {
    Tokenizer::load(dir.string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(e.diagnostic().key, "add_bos_token");
    EXPECT_EQ(e.diagnostic().where.file, (dir / "tokenizer_config.json").string());
  }
  write_file(dir / "tokenizer_config.json", R"({"add_bos_token": tru)");
  EXPECT_THROW(Tokenizer::load(dir.string()), IoError);
  write_file(dir / "tokenizer_config.json", R"({"added_tokens_decoder": {"x": {"content": "<a>"}}})");
  EXPECT_THROW(Tokenizer::load(dir.string()), IoError);
}

TEST(TokenizerTrainer, SameInputsGiveIdenticalBytes) {
  testing::TempDir tmp;
  const std::string corpus = (testing::source_dir() / "examples/tiny/corpus.txt").string();
  train_tokenizer(corpus, (tmp / "a").string(), 400, 7);
  train_tokenizer(corpus, (tmp / "b").string(), 400, 7);
  for (const char* name : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
    EXPECT_EQ(read_file(tmp / "a" / name), read_file(tmp / "b" / name)) << name;
  }
  EXPECT_EQ(Tokenizer::load((tmp / "a").string())->vocab_size(), 400);
  for (const auto& entry : fs::directory_iterator(tmp / "a")) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << "temporary file left behind";
  }
}

// The C++ trainer and python sentencepiece (tests/reference/tokenizer_reference.py train) agree byte for byte.
TEST(TokenizerTrainer, MatchesPythonSentencepieceTraining) {
  if (testing::python().empty()) GTEST_SKIP() << "no python3 with sentencepiece";
  testing::TempDir tmp;
  const fs::path corpus = testing::source_dir() / "examples/tiny/corpus.txt";
  train_tokenizer(corpus.string(), (tmp / "cpp").string(), 512, 3);
  const fs::path script = testing::source_dir() / "tests/reference/tokenizer_reference.py";
  const std::string cmd = testing::python() + " " + script.string() + " train " + corpus.string() + " " +
                          (tmp / "py.model").string() + " 512 3";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_TRUE(read_file(tmp / "cpp" / "tokenizer.model") == read_file(tmp / "py.model"));
}

TEST(TokenizerTrainer, BadInputsAreIoErrors) {
  testing::TempDir tmp;
  EXPECT_THROW(train_tokenizer((tmp / "absent.txt").string(), (tmp / "out").string()), IoError);
  write_file(tmp / "empty.txt", "\n\n");
  EXPECT_THROW(train_tokenizer((tmp / "empty.txt").string(), (tmp / "out").string()), IoError);
  write_file(tmp / "small.txt", "a tiny corpus\n");
  EXPECT_THROW(train_tokenizer((tmp / "small.txt").string(), (tmp / "out").string(), 100), IoError);
  EXPECT_THROW(train_tokenizer((tmp / "small.txt").string(), (tmp / "out").string(), 5000), IoError);
  EXPECT_FALSE(fs::exists(tmp / "out" / "tokenizer.model"));
}

}  // namespace
}  // namespace axolotl::data
