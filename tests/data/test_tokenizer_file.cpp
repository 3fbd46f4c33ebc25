// read_tokenizer_file and the table scanner: the fast paths give the same BPE model (ids, errors) as
// the plain JSON tree, and every shape they do not expect falls back to it (no ../shared needed).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

#include "axolotl/data/tokenizer_json/bpe_model.h"
#include "axolotl/data/tokenizer_json/table_scanner.h"
#include "axolotl/data/tokenizer_json/tokenizer_file.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::data::tokjson {
namespace {
using nlohmann::json;

struct Loaded {
  TokenizerFile file;
  json tree;  // the whole file parsed the plain way
};

Loaded load(const testing::TempDir& dir, const std::string& text) {
  const auto path = dir / "tokenizer.json";
  testing::write_file(path, text);
  return Loaded{read_tokenizer_file(path.string()), json::parse(text)};
}

std::vector<int32_t> ids(const BpeModel& m, const std::string& word) {
  std::vector<int32_t> out;
  m.encode_word(word, out);
  return out;
}

json doc_with(json model) { return json{{"version", "1.0"}, {"added_tokens", json::array()}, {"model", std::move(model)}}; }

// 64 symbols, each a token, and every pair of them as a merge in a shuffled order: 4,096 merges,
// enough for the two-thread lookup, in either merge form.
json many_merges(bool pairs, uint32_t seed) {
  const std::string sym = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  json vocab = json::object();
  for (size_t i = 0; i < sym.size(); ++i) vocab[std::string(1, sym[i])] = i;
  std::vector<std::pair<char, char>> all;
  for (char a : sym)
    for (char b : sym) all.emplace_back(a, b);
  std::mt19937 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  json merges = json::array();
  for (const auto& [a, b] : all) {
    const std::string sa(1, a), sb(1, b);
    if (!vocab.contains(sa + sb)) vocab[sa + sb] = vocab.size();
    merges.push_back(pairs ? json::array({sa, sb}) : json(sa + " " + sb));
  }
  return json{{"type", "BPE"}, {"dropout", nullptr}, {"vocab", vocab}, {"merges", merges}};
}

TEST(TokenizerFile, FastPathTakesTheTablesOutAndKeepsTheRest) {
  testing::TempDir dir;
  const json model = {{"type", "BPE"}, {"unk_token", "<unk>"}, {"vocab", {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"ab", 3}}},
                      {"merges", {"#version: 0.2", "a b"}}};
  Loaded l = load(dir, doc_with(model).dump());
  ASSERT_TRUE(l.file.tables.has_value());
  EXPECT_FALSE(l.file.doc["model"].contains("vocab"));
  EXPECT_FALSE(l.file.doc["model"].contains("merges"));
  EXPECT_EQ(l.file.doc["model"]["unk_token"], "<unk>");
  EXPECT_EQ(l.file.doc["version"], "1.0");
  EXPECT_EQ(l.file.tables->vocab.id_to_token, (std::vector<std::string>{"<unk>", "a", "b", "ab"}));
  EXPECT_EQ(l.file.tables->merges.items.size(), 2u);  // the #version line is dropped by the model, as before
  const BpeModel fast(l.file.doc["model"], std::move(*l.file.tables), "t");
  const BpeModel plain(l.tree["model"], "t");
  for (const std::string w : {"ab", "abab", "ba", "axb"}) EXPECT_EQ(ids(fast, w), ids(plain, w)) << w;
  EXPECT_EQ(ids(fast, "abab"), std::vector<int32_t>({3, 3}));
  EXPECT_EQ(ids(fast, "axb"), std::vector<int32_t>({1, 0, 2}));
}

TEST(TokenizerFile, ThousandsOfMergesInBothFormsMatchThePlainTree) {
  testing::TempDir dir;
  for (bool pairs : {false, true}) {
    Loaded l = load(dir, doc_with(many_merges(pairs, pairs ? 7 : 11)).dump());
    ASSERT_TRUE(l.file.tables.has_value());
    const BpeModel fast(l.file.doc["model"], std::move(*l.file.tables), "t");
    const BpeModel plain(l.tree["model"], "t");
    EXPECT_EQ(fast.size(), plain.size());
    std::mt19937 rng(3);
    const std::string sym = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int k = 0; k < 300; ++k) {
      std::string w;
      for (size_t n = 1 + rng() % 9; n > 0; --n) w += sym[rng() % sym.size()];
      ASSERT_EQ(ids(fast, w), ids(plain, w)) << w;
    }
  }
}

TEST(TokenizerFile, UnexpectedShapesFallBackToThePlainTree) {
  testing::TempDir dir;
  const json base = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", {"a b"}}};
  auto fallback = [&](const std::string& text) {
    Loaded l = load(dir, text);
    EXPECT_FALSE(l.file.tables.has_value()) << text;
    EXPECT_EQ(l.file.doc, l.tree) << text;
  };
  // A repeated vocab key (the tree keeps the last), two tokens on one id, ids that are not int32 >= 0.
  fallback(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2, "ab": 3}, "merges": []}})");
  fallback(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})");
  fallback(R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})");
  fallback(R"({"model": {"type": "BPE", "vocab": {"a": 1.5}, "merges": []}})");
  fallback(R"({"model": {"type": "BPE", "vocab": {"a": 4294967296}, "merges": []}})");
  // Merges that are not strings or string pairs; no merges (WordPiece); a Unigram vocab list.
  json m = base;
  m["merges"] = json::array({json::array({"a", "b", "c"})});
  fallback(doc_with(m).dump());
  m["merges"] = json::array({1});
  fallback(doc_with(m).dump());
  m.erase("merges");
  fallback(doc_with(m).dump());
  fallback(R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  // Two "model" keys: the tree keeps the second.
  fallback(R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})");
  // A nested "vocab" elsewhere is an ordinary value.
  Loaded l = load(dir, R"({"x": {"vocab": {"q": 1}}, "model": {"type": "BPE", "vocab": {}, "merges": []}})");
  ASSERT_TRUE(l.file.tables.has_value());
  EXPECT_EQ(l.file.doc["x"]["vocab"]["q"], 1);
}

TEST(TableScanner, SpansFollowStringsAndNesting) {
  const std::string text = R"({"merges": 1, "m": {"vocab": {}}, "model": {"x": "\"merges\": [", "vocab": {"}": 0},)"
                           R"( "merges": [["a", "]"], "b c"], "v": {}}})";
  const auto spans = table_spans(text);
  ASSERT_TRUE(spans.has_value());
  auto cut = [&](Span s) { return text.substr(s.first, s.second - s.first); };
  EXPECT_EQ(cut(spans->first), R"({"}": 0})");
  EXPECT_EQ(cut(spans->second), R"([["a", "]"], "b c"])");
  EXPECT_FALSE(table_spans(R"({"model": {"vocab": {}, "merges": "a b"}})").has_value());
  EXPECT_FALSE(table_spans(R"({"model": {"vocab": [], "merges": []}})").has_value());
  EXPECT_FALSE(table_spans(R"({"model": {"vocab": {}, "mer\u0067es": []}})").has_value());  // escaped: not seen
  EXPECT_FALSE(table_spans(R"({"model": {"vocab": {}, "merges": [)").has_value());
  EXPECT_FALSE(table_spans(R"([{"model": {"vocab": {}, "merges": []}}])").has_value());
}

TEST(TableScanner, DecodesEveryEscapeAndDeclinesWhatItDoesNotKnow) {
  BpeVocab v;
  ASSERT_TRUE(scan_vocab(R"( { "a\"b" : 0 , "\\\/\b\f\n\r\t": 1, "\u00e9\ud83d\ude00": 2, "é": 3, "": 4 } )", v));
  EXPECT_EQ(v.id_to_token, (std::vector<std::string>{"a\"b", "\\/\b\f\n\r\t", "\xC3\xA9\xF0\x9F\x98\x80", "\xC3\xA9", ""}));
  EXPECT_EQ(v.token_to_id.find("\xC3\xA9"), 3);
  for (const char* bad : {R"({"a": -0})", R"({"a": 01})", R"({"a": 1e3})", R"({"a": 1.0})", R"({"a": 2147483648})",
                          R"({"a": "1"})", R"({"\udc00": 1})", R"({"\ud800x": 1})", R"({"\x": 1})", "{\"a\x01\": 1}",
                          "{\"\xC3\": 1}", "{\"\xED\xA0\x80\": 1}", R"({"a": 1, "a": 2})", R"({"a": 1, "b": 1})",
                          R"({"a": 1,})", R"({"a": 1} x)", R"({"a" 1})"}) {
    BpeVocab w;
    EXPECT_FALSE(scan_vocab(bad, w)) << bad;
  }
  BpeMergeList m;
  ASSERT_TRUE(scan_merges(R"([ "a b", ["c", "d\u0020"] ,"#version: 0.2"])", m));
  ASSERT_EQ(m.items.size(), 3u);
  EXPECT_EQ(m.a(m.items[0]), "a b");
  EXPECT_FALSE(m.items[0].pair);
  EXPECT_EQ(m.a(m.items[1]), "c");
  EXPECT_EQ(m.b(m.items[1]), "d ");
  EXPECT_TRUE(m.items[1].pair);
  for (const char* bad : {R"([["a"]])", R"([["a", "b", "c"]])", R"([1])", R"(["a",])", R"([{"a": "b"}])", R"([null])"}) {
    BpeMergeList n;
    EXPECT_FALSE(scan_merges(bad, n)) << bad;
  }
}

TEST(TokenizerFile, DeclinedTablesGoThroughTheGeneralParse) {
  testing::TempDir dir;
  // Shapes the scanner declines but JSON allows: the file still loads, exactly as the tree has it.
  for (const std::string vocab : {R"({"a": -0, "b": 1, "ab": 2})", R"({"a": 0, "b": 1E0, "ab": 2})"}) {
    Loaded l = load(dir, R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": ["a b"]}})");
    EXPECT_EQ(l.file.doc["model"].contains("vocab"), !l.file.tables.has_value());
    if (!l.file.tables) {
      EXPECT_EQ(l.file.doc, l.tree);
    }
  }
  const auto path = dir / "tokenizer.json";
  testing::write_file(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\xC3\": 0}, \"merges\": []}}");
  EXPECT_THROW(read_tokenizer_file(path.string()), IoError);  // invalid UTF-8: malformed, as json::parse says
}

TEST(TokenizerFile, LargeFilesSplitTheParseWithTheSameResult) {
  testing::TempDir dir;
  for (bool pairs : {false, true}) {
    // 1 MB of whitespace inside the merges: over the threshold for the second thread.
    std::string text = doc_with(many_merges(pairs, 5)).dump(2);
    const size_t at = text.find("\"merges\": [");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 11, std::string(1 << 20, ' '));
    Loaded l = load(dir, text);
    ASSERT_TRUE(l.file.tables.has_value());
    EXPECT_EQ(l.file.doc["version"], l.tree["version"]);
    EXPECT_EQ(l.file.tables->merges.items.size(), 4096u);
    const BpeModel fast(l.file.doc["model"], std::move(*l.file.tables), "t");
    const BpeModel plain(l.tree["model"], "t");
    for (const std::string w : {"AbCd", "zz99+/", "Q", "0123456789"}) EXPECT_EQ(ids(fast, w), ids(plain, w)) << w;
  }
  // A second "merges" in the model: the split sees it and the plain tree decides (the last one wins).
  json doc = doc_with(many_merges(false, 5));
  doc["padding"] = std::string(1 << 20, 'x');
  std::string text = doc.dump();
  const size_t at = text.find("\"merges\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, R"("merges": ["A B"], )");
  Loaded l = load(dir, text);
  EXPECT_FALSE(l.file.tables.has_value());
  EXPECT_EQ(l.file.doc, l.tree);
}

TEST(TokenizerFile, ErrorsAreThoseOfThePlainPath) {
  testing::TempDir dir;
  const auto path = dir / "tokenizer.json";
  testing::write_file(path, R"({"model": {"type": "BPE", "vocab": {)");
  try {
    read_tokenizer_file(path.string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(e.diagnostic().message, "malformed JSON");
    EXPECT_EQ(e.diagnostic().where.file, path.string());
  }
  EXPECT_THROW(read_tokenizer_file((dir / "absent.json").string()), IoError);
  auto message = [&](const json& model) {
    Loaded l = load(dir, doc_with(model).dump());
    if (!l.file.tables) {
      ADD_FAILURE() << "no fast path for " << model.dump();
      return std::string();
    }
    std::string fast, plain;
    try {
      BpeModel(l.file.doc["model"], std::move(*l.file.tables), "t");
    } catch (const Error& e) {
      fast = e.what();
    }
    try {
      BpeModel(l.tree["model"], "t");
    } catch (const Error& e) {
      plain = e.what();
    }
    EXPECT_EQ(fast, plain);
    return fast;
  };
  const json vocab = {{"a", 0}, {"b", 1}};
  EXPECT_NE(message({{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b"}}}).find("out of vocabulary"),
            std::string::npos);
  EXPECT_NE(message({{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b c"}}}).find("bad merge"), std::string::npos);
  EXPECT_NE(message({{"type", "BPE"}, {"unk_token", "<unk>"}, {"vocab", vocab}, {"merges", json::array()}}).find("unk"),
            std::string::npos);
  EXPECT_NE(message({{"type", "WordPiece"}, {"vocab", vocab}, {"merges", json::array()}}).find("WordPiece"),
            std::string::npos);
}

}  // namespace
}  // namespace axolotl::data::tokjson
