// Unit tests of the tokenizer.json components on tiny hand-written files (no ../shared needed):
// BPE merge order, both merge forms, ignore_merges, byte_fallback, unk/fuse_unk, normalizers,
// pre-tokenizers (Split behaviours, ByteLevel, Metaspace, Digits), added-token rules,
// post-processors, decoders, UTF-8 helpers, and errors for unimplemented components.
// Expected values follow FORMATS2.md §1 (the examples there come from tokenizers' docs).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"
#include "axolotl/data/tokenizer_json/added_vocabulary.h"
#include "axolotl/data/tokenizer_json/bpe_model.h"
#include "axolotl/data/tokenizer_json/decoder.h"
#include "axolotl/data/tokenizer_json/normalizer.h"
#include "axolotl/data/tokenizer_json/post_processor.h"
#include "axolotl/data/tokenizer_json/pre_tokenizer.h"
#include "axolotl/data/tokenizer_json/utf8.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

std::vector<std::string> pieces_of(const json& j, const std::string& text) {
  auto pre = make_pre_tokenizer(j, "test");
  std::vector<Piece> pieces{Piece{text, true}};
  pre->split(pieces);
  std::vector<std::string> out;
  for (const auto& p : pieces) out.push_back(p.text);
  return out;
}

std::string normalized(const json& j, std::string text) {
  make_normalizer(j, "test")->normalize(text);
  return text;
}

std::vector<int32_t> word_ids(const BpeModel& m, const std::string& word) {
  std::vector<int32_t> ids;
  m.encode_word(word, ids);
  return ids;
}

json bpe(json vocab, json merges) {
  return json{{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
}

TEST(BpeModel, MergesLowestRankFirstInBothForms) {
  const json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}};
  // "b c" outranks "a b", so "abc" becomes a + bc, then abc.
  const BpeModel legacy(bpe(vocab, {"b c", "a b", "a bc"}), "test");
  const BpeModel pairs(bpe(vocab, json::array({json::array({"b", "c"}), json::array({"a", "b"}),
                                               json::array({"a", "bc"})})),
                       "test");
  EXPECT_EQ(word_ids(legacy, "abc"), std::vector<int32_t>({5}));
  EXPECT_EQ(word_ids(pairs, "abc"), std::vector<int32_t>({5}));
  const BpeModel no_abc(bpe(vocab, {"a b", "b c"}), "test");  // "a b" first: ab + c, nothing more
  EXPECT_EQ(word_ids(no_abc, "abc"), std::vector<int32_t>({3, 2}));
  EXPECT_EQ(word_ids(no_abc, "abab"), std::vector<int32_t>({3, 3}));  // cache hit on a second call too
  EXPECT_EQ(word_ids(no_abc, "abab"), std::vector<int32_t>({3, 3}));
}

TEST(BpeModel, IgnoreMergesTakesWholeWordsFromTheVocab) {
  json m = bpe({{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}}, {"a b"});
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "abc"), std::vector<int32_t>({3, 2}));
  m["ignore_merges"] = true;
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "abc"), std::vector<int32_t>({4}));
}

TEST(BpeModel, ByteFallbackUnkFuseAndDrop) {
  json m = bpe({{"<unk>", 0}, {"a", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}}, json::array());
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "a\xC3\xA9x"), std::vector<int32_t>({1}));  // no unk: chars vanish
  m["unk_token"] = "<unk>";
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "a\xC3\xA9xy"), std::vector<int32_t>({1, 0, 0, 0}));
  m["fuse_unk"] = true;
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "a\xC3\xA9xy"), std::vector<int32_t>({1, 0}));
  m["byte_fallback"] = true;  // é has both byte tokens; x and y do not
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "a\xC3\xA9xy"), std::vector<int32_t>({1, 2, 3, 0}));
}

TEST(BpeModel, ContinuingSubwordPrefixAndSuffix) {
  json m = bpe({{"a", 0}, {"##b", 1}, {"##c</w>", 2}, {"a##b", 3}, {"ab", 4}}, json::array());
  m["continuing_subword_prefix"] = "##";
  m["end_of_word_suffix"] = "</w>";
  m["merges"] = {"a ##b"};
  EXPECT_EQ(word_ids(BpeModel(m, "test"), "abc"), std::vector<int32_t>({4, 2}));
}

TEST(BpeModel, ErrorsNameTheProblem) {
  EXPECT_THROW(BpeModel(json{{"type", "Unigram"}, {"vocab", json::array()}}, "test"), Error);
  try {
    BpeModel(json{{"type", "WordPiece"}}, "t.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("WordPiece"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BpeModel(bpe({{"a", 0}}, {"a b"}), "test"), Error);  // merge out of vocab
}

TEST(Normalizers, UnicodeFormsCaseAndEdits) {
  EXPECT_EQ(normalized({{"type", "NFC"}}, "cafe\xCC\x81"), "caf\xC3\xA9");
  EXPECT_EQ(normalized({{"type", "NFKC"}}, "\xEF\xAC\x81 \xE2\x91\xA0"), "fi 1");  // ﬁ ①
  EXPECT_EQ(normalized({{"type", "NFD"}}, "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(normalized({{"type", "Lowercase"}}, "HeLLo \xC3\x89"), "hello \xC3\xA9");
  EXPECT_EQ(normalized({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, "  x  "), "x  ");
  const json llama2 = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}};
  EXPECT_EQ(normalized(llama2, "a b"), "\xE2\x96\x81" "a" "\xE2\x96\x81" "b");
  EXPECT_EQ(normalized(llama2, ""), "");  // Prepend only on non-empty text
  EXPECT_EQ(normalized({{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", "_"}}, "a \t b"), "a_b");
  EXPECT_THROW(make_normalizer({{"type", "Precompiled"}}, "test"), Error);
}

json split(const std::string& behavior, bool invert = false) {
  return {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}};
}

TEST(PreTokenizers, SplitBehaviours) {
  using V = std::vector<std::string>;
  const std::string t = "the-final--countdown";
  EXPECT_EQ(pieces_of(split("Isolated"), t), V({"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(pieces_of(split("Removed"), t), V({"the", "final", "countdown"}));
  EXPECT_EQ(pieces_of(split("MergedWithPrevious"), t), V({"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(pieces_of(split("MergedWithNext"), t), V({"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(pieces_of(split("Contiguous"), t), V({"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(pieces_of(split("Removed", true), t), V({"-", "-", "-"}));
}

TEST(PreTokenizers, Llama3RegexAndByteLevel) {
  using V = std::vector<std::string>;
  const json j = {{"type", "Sequence"},
                  {"pretokenizers",
                   {{{"type", "Split"},
                     {"pattern",
                      {{"Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
                                 "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
                     {"behavior", "Isolated"},
                     {"invert", false}},
                    {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  EXPECT_EQ(pieces_of(j, "I'M 12345  x\n"), V({"I", "'M", "\xC4\xA0", "123", "45", "\xC4\xA0", "\xC4\xA0x", "\xC4\x8A"}));
  // GPT-2 ByteLevel with its own regex and a prefix space.
  EXPECT_EQ(pieces_of({{"type", "ByteLevel"}, {"add_prefix_space", true}}, "hi there"),
            V({"\xC4\xA0hi", "\xC4\xA0there"}));
}

TEST(PreTokenizers, MetaspaceAndDigits) {
  using V = std::vector<std::string>;
  const std::string m = "\xE2\x96\x81";
  EXPECT_EQ(pieces_of({{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "always"}, {"split", true}},
                      "hi there"),
            V({m + "hi", m + "there"}));
  EXPECT_EQ(pieces_of({{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "never"}, {"split", false}},
                      "hi there"),
            V({"hi" + m + "there"}));
  EXPECT_EQ(pieces_of({{"type", "Digits"}, {"individual_digits", true}}, "a123b"), V({"a", "1", "2", "3", "b"}));
  EXPECT_EQ(pieces_of({{"type", "Digits"}, {"individual_digits", false}}, "a123b"), V({"a", "123", "b"}));
  EXPECT_THROW(make_pre_tokenizer({{"type", "UnicodeScripts"}}, "test"), Error);
}

TEST(AddedTokens, LeftmostLongestWithStripAndSingleWord) {
  std::vector<AddedToken> toks(3);
  toks[0].content = "<a>";
  toks[0].id = 10;
  toks[1].content = "<a><b>";
  toks[1].id = 11;
  toks[1].lstrip = toks[1].rstrip = true;
  toks[2].content = "cat";
  toks[2].id = 12;
  toks[2].single_word = true;
  TokenMatcher m;
  for (size_t i = 0; i < toks.size(); ++i) m.add(toks[i].content, i);
  std::vector<Segment> segs;
  m.split("x <a><b>  y<a>z", toks, segs);
  ASSERT_EQ(segs.size(), 5u);
  EXPECT_EQ(segs[0].text, "x");
  EXPECT_EQ(segs[1].id, 11);
  EXPECT_EQ(segs[1].text, " <a><b>  ");  // lstrip and rstrip swallow the spaces
  EXPECT_EQ(segs[2].text, "y");
  EXPECT_EQ(segs[3].id, 10);
  EXPECT_EQ(segs[4].text, "z");
  m.split("cat concat cat.", toks, segs);  // single_word: not inside "concat"
  std::vector<int32_t> ids;
  for (const auto& s : segs) ids.push_back(s.id);
  EXPECT_EQ(ids, std::vector<int32_t>({12, -1, 12, -1}));
}

TEST(PostProcessors, TemplateRobertaSequence) {
  const json tmpl = {{"type", "TemplateProcessing"},
                     {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                 {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
                     {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}}}, {"</s>", {{"id", "</s>"}, {"ids", {2, 3}}}}}}};
  SingleTemplate t = make_single_template(tmpl, "test");
  EXPECT_EQ(t.prefix, std::vector<int32_t>({1}));
  EXPECT_EQ(t.suffix, std::vector<int32_t>({2, 3}));
  t = make_single_template({{"type", "RobertaProcessing"}, {"cls", {"<s>", 0}}, {"sep", {"</s>", 2}}}, "test");
  EXPECT_EQ(t.prefix, std::vector<int32_t>({0}));
  EXPECT_EQ(t.suffix, std::vector<int32_t>({2}));
  t = make_single_template({{"type", "Sequence"}, {"processors", {{{"type", "ByteLevel"}}, tmpl}}}, "test");
  EXPECT_EQ(t.prefix, std::vector<int32_t>({1}));
  EXPECT_THROW(make_single_template({{"type", "Mystery"}}, "test"), Error);
}

TEST(Decoders, ByteFallbackFuseStripMetaspace) {
  const json llama2 = {{"type", "Sequence"},
                       {"decoders",
                        {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                         {{"type", "ByteFallback"}},
                         {{"type", "Fuse"}},
                         {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  auto d = make_decoder(llama2, "test");
  std::vector<std::string> toks{"\xE2\x96\x81hi", "<0xC3>", "<0xA9>", "\xE2\x96\x81x", "<0xC3>"};
  d->decode_chain(toks, false, false);
  EXPECT_EQ(toks, std::vector<std::string>({"hi\xC3\xA9 x\xEF\xBF\xBD"}));  // a lone byte becomes U+FFFD
  std::vector<std::string> raw{"<0xC3>"};
  d->decode_chain(raw, true, true);  // streaming: the byte itself
  EXPECT_EQ(raw, std::vector<std::string>({"\xC3"}));
  auto meta = make_decoder({{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}}, "t");
  std::vector<std::string> m{"\xE2\x96\x81" "a", "\xE2\x96\x81" "b"};
  meta->decode_chain(m, false, false);
  EXPECT_EQ(m, std::vector<std::string>({"a", " b"}));
  EXPECT_THROW(make_decoder({{"type", "CTC"}}, "test"), Error);
}

TEST(Utf8, LossyAndCompletePrefix) {
  EXPECT_EQ(utf8_lossy("a\xC3\xA9"), "a\xC3\xA9");
  EXPECT_EQ(utf8_lossy("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8_lossy("\xE2\x82" "x"), "\xEF\xBF\xBD" "x");  // one U+FFFD for a cut-off sequence
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate: three
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82\xAC"), 5u);
  EXPECT_EQ(utf8_complete_prefix("ab\xFF"), 3u);  // invalid, not waiting for more
  EXPECT_EQ(byte_to_unicode()[' '], "\xC4\xA0");
  EXPECT_EQ(unicode_to_byte(0x120), 0x20);
}

TEST(JsonTokenizer, Llama2StyleFileEndToEnd) {
  testing::TempDir dir;
  testing::write_file(dir / "tokenizer.json",
                      testing::read_file(testing::source_dir() / "tests/assets/data/tokenizer_json/llama2_style.json"));
  auto tok = Tokenizer::load(dir.path().string());
  EXPECT_EQ(tok->encode("hi t\xC3\xA9!"), std::vector<int32_t>({1, 10, 12, 3, 4, 5}));
  EXPECT_EQ(tok->encode("hi</s>hi", false, false), std::vector<int32_t>({10, 2, 10}));  // ▁ after </s> too (§1.3)
  EXPECT_EQ(tok->decode({1, 10, 12, 3, 4, 5}), "hi t\xC3\xA9!");
  EXPECT_EQ(tok->token_text(12), " t");
  EXPECT_TRUE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  EXPECT_EQ(tok->bos_id(), -1);  // no tokenizer_config.json: no slots named
  // tokenizer_config.json with add_eos_token rebuilds the template from the flags (§1.9).
  testing::write_file(dir / "tokenizer_config.json",
                      R"({"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": false, "add_eos_token": true})");
  tok = Tokenizer::load(dir.path().string());
  EXPECT_EQ(tok->encode("hi"), std::vector<int32_t>({10, 2}));
  config::TokenizerConfig over;
  over.add_bos_token = true;
  over.added_tokens = {"<tool>"};
  tok = Tokenizer::load(dir.path().string(), over);
  EXPECT_EQ(tok->encode("hi<tool>"), std::vector<int32_t>({1, 10, 13, 2}));
  EXPECT_EQ(tok->vocab_size(), 14);
}

}  // namespace
}  // namespace axolotl::data::tokjson
