// Record reading (formats, errors with file:line), dataset building (drop reasons, validation
// split, skip_bad_rows, mixing) and the prepared cache (reuse, invalidation).
#include <gtest/gtest.h>

#include "axolotl/data/dataset_builder.h"
#include "axolotl/data/dataset_report.h"
#include "axolotl/data/prepared_cache.h"
#include "axolotl/data/record_reader.h"
#include "data_test_util.h"

namespace axolotl::data {
namespace {

using testing::TempDir;
using testing::write_file;

std::vector<Record> read_all(const std::string& path, const std::string& field = "") {
  RecordReader r(path, field);
  std::vector<Record> out;
  Record rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

Diagnostic error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.diagnostic();
  }
  return {};
}

TEST(RecordReader, JsonlJsonArrayAndFieldObject) {
  TempDir dir;
  write_file(dir / "a.jsonl", "{\"x\": 1}\n\n{\"x\": 2}\n");
  auto a = read_all((dir / "a.jsonl").string());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].value["x"], 2);
  EXPECT_EQ(a[1].where.line, 3);
  write_file(dir / "b.json", "[\n  {\"x\": 1},\n  {\"x\": \"a]\"},\n  {\"x\": 3}\n]\n");
  auto b = read_all((dir / "b.json").string());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2].where.line, 4);
  write_file(dir / "c.json", "{\"data\": [{\"x\": 1}], \"version\": 2}");
  EXPECT_EQ(read_all((dir / "c.json").string(), "data").size(), 1u);
  write_file(dir / "d.json", "{\"x\": 1}\n{\"x\": 2}\n");  // JSON Lines under a .json name
  EXPECT_EQ(read_all((dir / "d.json").string()).size(), 2u);
  auto files = list_data_files(dir.path().string());
  EXPECT_EQ(files.size(), 4u);
}

TEST(RecordReader, NumberTooLargeIsAMalformedLineNotACrash) {
  // A fuzzer finding: nlohmann reports a double overflow as out_of_range, not parse_error.
  TempDir dir;
  write_file(dir / "a.jsonl", "99e9999999999999999999999\n");
  RecordReader reader((dir / "a.jsonl").string());
  Record r;
  std::string text;
  ASSERT_TRUE(reader.next_unparsed(r, text));
  Diagnostic bad;
  EXPECT_FALSE(RecordReader::parse_line(text, r, &bad));
  EXPECT_EQ(bad.message, "malformed JSON line");
  EXPECT_NE(bad.found.find("number overflow"), std::string::npos) << bad.found;
  write_file(dir / "b.json", "[{\"x\": 1e999}]");
  Record whole;
  EXPECT_THROW(RecordReader((dir / "b.json").string()).next(whole), IoError);
}

TEST(RecordReader, UnparsedLinesParseLaterWithTheSameErrors) {
  TempDir dir;
  write_file(dir / "a.jsonl", "{\"x\": 1}\n\n{\"x\": oops}\n");
  RecordReader reader((dir / "a.jsonl").string());
  Record r;
  std::string text;
  ASSERT_TRUE(reader.next_unparsed(r, text));
  EXPECT_EQ(text, "{\"x\": 1}");
  EXPECT_TRUE(r.value.is_null());
  EXPECT_TRUE(RecordReader::parse_line(text, r));
  EXPECT_EQ(r.value["x"], 1);
  ASSERT_TRUE(reader.next_unparsed(r, text));
  EXPECT_EQ(r.where.line, 3);
  EXPECT_EQ(r.index, 1);
  Diagnostic bad;
  EXPECT_FALSE(RecordReader::parse_line(text, r, &bad));
  EXPECT_EQ(bad.message, "malformed JSON line");
  EXPECT_EQ(bad.where.line, 3);
  EXPECT_NE(bad.where.file.find("a.jsonl"), std::string::npos);
  EXPECT_THROW(RecordReader::parse_line(text, r), IoError);
  EXPECT_FALSE(reader.next_unparsed(r, text));
  write_file(dir / "b.json", "[{\"x\": 5}]");  // a .json file: parsed records, no text
  RecordReader whole((dir / "b.json").string());
  ASSERT_TRUE(whole.next_unparsed(r, text));
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(r.value["x"], 5);
}

TEST(RecordReader, BadInputNamesFileAndLine) {
  TempDir dir;
  write_file(dir / "bad.jsonl", "{\"x\": 1}\n{\"x\": oops}\n");
  auto d = error_of([&] { read_all((dir / "bad.jsonl").string()); });
  EXPECT_EQ(d.where.line, 2);
  EXPECT_NE(d.where.file.find("bad.jsonl"), std::string::npos);
  write_file(dir / "bad.json", "[\n {\"x\": 1},\n {\"x\": }\n]");
  EXPECT_EQ(error_of([&] { read_all((dir / "bad.json").string()); }).where.line, 3);
  write_file(dir / "utf.jsonl", "{\"x\": \"ok\"}\n{\"x\": \"\xff\xfe\"}\n");
  EXPECT_EQ(error_of([&] { read_all((dir / "utf.jsonl").string()); }).where.line, 2);
  write_file(dir / "empty.jsonl", "");
  EXPECT_EQ(error_of([&] { read_all((dir / "empty.jsonl").string()); }).message, "dataset file is empty");
  write_file(dir / "blank.jsonl", "\n\n");
  EXPECT_NE(error_of([&] { read_all((dir / "blank.jsonl").string()); }).message, "");
  auto missing = error_of([&] { list_data_files((dir / "nope.jsonl").string()); });
  EXPECT_EQ(missing.message, "dataset path does not exist");
  // A Hub dataset id goes to the Hub resolver; offline with an empty cache it names the repo.
  setenv("HF_HUB_OFFLINE", "1", 1);
  setenv("HF_HUB_CACHE", (dir / "hub-cache").c_str(), 1);
  auto hub = error_of([&] { list_data_files("tatsu-lab/alpaca"); });
  // A Hub dataset's data_files stay inside its repository (checked before any download).
  for (const std::string bad : {"../secrets.jsonl", "/etc/passwd", "data/../../x.jsonl"}) {
    auto escape = error_of([&] { list_data_files("tatsu-lab/alpaca", {bad}); });
    EXPECT_EQ(escape.key, "data_files") << bad;
    EXPECT_EQ(escape.found, bad);
  }
  unsetenv("HF_HUB_OFFLINE");
  unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(hub.key, "tatsu-lab/alpaca");
  EXPECT_NE(hub.message.find("offline"), std::string::npos);
}

class Builder : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent";
    tok_ = testing::shared_tokenizer("models/stories260K/tokenizer.model");
    data_.sequence_len = 256;
    config::DatasetConfig ds;
    ds.path = (dir_ / "train.jsonl").string();
    data_.datasets.push_back(ds);
    data_.prepared_path = (dir_ / "prepared").string();
  }
  void write_rows(int n, const std::string& extra = "") {
    std::string text;
    for (int i = 0; i < n; ++i) {
      text += "{\"instruction\": \"Repeat " + std::to_string(i) + "\", \"output\": \"" + std::to_string(i) + "\"}\n";
    }
    write_file(dir_ / "train.jsonl", text + extra);
  }
  TempDir dir_;
  config::DataConfig data_;
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(Builder, DropReasonsValidationSplitAndDeterminism) {
  std::string long_output(3000, 'a');
  write_rows(40, "{\"instruction\": \"x\", \"output\": \"" + long_output + "\"}\n");
  data_.val_set_size = 0.1;
  BuildOptions opt;
  opt.threads = 2;
  PreparedData p = build_datasets(data_, *tok_, opt);
  EXPECT_EQ(p.stats.records, 41);
  EXPECT_EQ(p.stats.dropped_too_long, 1);
  EXPECT_EQ(p.stats.kept, 40);
  EXPECT_EQ(p.val.size(), 4u);  // ceil(0.1 * 40)
  EXPECT_EQ(p.train.size(), 36u);
  EXPECT_EQ(p.stats.without_trained_eos, 0);
  opt.threads = 1;
  PreparedData q = build_datasets(data_, *tok_, opt);  // thread count does not change the result
  for (size_t i = 0; i < p.train.size(); ++i) EXPECT_EQ(p.train.row(i).input_ids, q.train.row(i).input_ids);
  data_.excess_length_strategy = config::ExcessLength::kTruncate;
  PreparedData t = build_datasets(data_, *tok_, opt);
  EXPECT_EQ(t.stats.truncated, 1);
  EXPECT_EQ(t.stats.kept, 41);
}

// excess_length_strategy: raise (Axolotl's filter_sequences_by_length with raise_on_drop): the first row
// longer than sequence_len stops the build with its file, line and length; skip_bad_rows does not skip
// it; short rows are still dropped (min_sample_len), as Axolotl's raise path does.
TEST_F(Builder, RaiseNamesTheFirstTooLongRow) {
  const std::string long_row = "{\"instruction\": \"x\", \"output\": \"" + std::string(3000, 'a') + "\"}\n";
  write_rows(3, long_row + long_row);
  data_.excess_length_strategy = config::ExcessLength::kRaise;
  for (bool skip : {false, true}) {
    data_.skip_bad_rows = skip;
    try {
      build_datasets(data_, *tok_, {});
      FAIL() << "expected ExcessLengthError (skip_bad_rows " << skip << ")";
    } catch (const ExcessLengthError& e) {
      const Diagnostic& d = e.diagnostic();
      EXPECT_EQ(d.where.file, (dir_ / "train.jsonl").string());
      EXPECT_EQ(d.where.line, 4) << "the first of the two long rows";
      EXPECT_EQ(d.key, "excess_length_strategy");
      EXPECT_NE(d.message.find("sequence_len (256)"), std::string::npos) << d.message;
      EXPECT_NE(d.found.find(" tokens"), std::string::npos) << d.found;
      EXPECT_GT(std::stoi(d.found), 256) << d.found;
      EXPECT_NE(d.hint.find("truncate"), std::string::npos) << d.hint;
    }
  }
  data_.skip_bad_rows = false;
  write_rows(3);  // every row fits: raise changes nothing
  data_.min_sample_len = 8;
  PreparedData p = build_datasets(data_, *tok_, {});
  EXPECT_EQ(p.stats.kept + p.stats.dropped_too_short, 3);
  EXPECT_EQ(p.stats.dropped_too_long, 0);
}

TEST_F(Builder, BadRowsFailWithLocationOrAreCountedWhenSkipped) {
  write_rows(5, "{\"instruction\": \"x\"}\n{broken\n");
  try {
    build_datasets(data_, *tok_, {});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(e.diagnostic().where.line, 6);
    EXPECT_EQ(e.diagnostic().key, "output");
  }
  data_.skip_bad_rows = true;
  PreparedData p = build_datasets(data_, *tok_, {});
  EXPECT_EQ(p.stats.bad_records, 2);
  EXPECT_EQ(p.stats.kept, 5);
  ASSERT_EQ(p.stats.bad_examples.size(), 2u);
  EXPECT_NE(p.stats.bad_examples[1].find(":7"), std::string::npos) << p.stats.bad_examples[1];
}

TEST_F(Builder, ChatmlWithLlamaEosIsReportedAsMaskedEos) {
  write_file(dir_ / "chat.jsonl",
             "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
  data_.datasets[0].path = (dir_ / "chat.jsonl").string();
  data_.datasets[0].format = config::DatasetFormat::kChatTemplate;
  data_.datasets[0].roles_to_train = {"assistant"};
  data_.chat_template = "chatml";
  PreparedData p = build_datasets(data_, *tok_, {});
  EXPECT_EQ(p.stats.without_trained_eos, 1);
  EXPECT_NE(p.stats.eos_example.find("<|im_start|>"), std::string::npos);
  data_.chat_template = "";
  EXPECT_THROW(build_datasets(data_, *tok_, {}), ConfigError);
}

// Rows whose labels are all -100 after the chat strategy (here: no assistant turn, or roles_to_train: []
// without per-turn flags) are dropped and counted in the report.
TEST_F(Builder, ChatRowsWithNothingTrainedAreDroppedAndCounted) {
  write_file(dir_ / "chat.jsonl",
             "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n"
             "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"only\"}]}\n"
             "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n");
  data_.datasets[0].path = (dir_ / "chat.jsonl").string();
  data_.datasets[0].format = config::DatasetFormat::kChatTemplate;
  data_.datasets[0].roles_to_train = {"assistant"};
  data_.chat_template = "chatml";
  PreparedData p = build_datasets(data_, *tok_, {});
  EXPECT_EQ(p.stats.kept, 2);
  EXPECT_EQ(p.stats.dropped_no_trained, 1);
  EXPECT_NE(format_stats(p, data_.sequence_len).find("1 with nothing trained"), std::string::npos)
      << format_stats(p, data_.sequence_len);
  data_.datasets[0].roles_to_train.clear();  // roles_to_train: [] trains no role: every row is dropped
  EXPECT_THROW(build_datasets(data_, *tok_, {}), Error);
}

TEST_F(Builder, CacheIsReusedAndRebuiltOnAnyChange) {
  write_rows(20);
  bool reused = true;
  std::string folder;
  PreparedData a = prepare(data_, {}, *tok_, {}, &reused, &folder);
  EXPECT_FALSE(reused);
  PreparedData b = prepare(data_, {}, *tok_, {}, &reused);
  EXPECT_TRUE(reused);
  ASSERT_EQ(a.train.size(), b.train.size());
  for (size_t i = 0; i < a.train.size(); ++i) EXPECT_EQ(a.train.row(i).labels, b.train.row(i).labels);
  EXPECT_EQ(b.stats.kept, 20);
  write_rows(21);  // data changed
  prepare(data_, {}, *tok_, {}, &reused);
  EXPECT_FALSE(reused);
  data_.train_on_inputs = true;  // settings changed
  prepare(data_, {}, *tok_, {}, &reused);
  EXPECT_FALSE(reused);
  BuildOptions seeded;
  seeded.seed = 7;  // seed changed
  prepare(data_, {}, *tok_, seeded, &reused);
  EXPECT_FALSE(reused);
  prepare(data_, {}, *tok_, seeded, &reused);
  EXPECT_TRUE(reused);
  write_file(std::filesystem::path(folder) / "train.bin", "garbage");  // a corrupt old cache is ignored
  data_.train_on_inputs = false;
  write_rows(20);
  prepare(data_, {}, *tok_, {}, &reused);
  EXPECT_FALSE(reused);
}

TEST_F(Builder, DatasetsAreMixedWithTheSeed) {
  write_rows(10);
  write_file(dir_ / "b.jsonl", "{\"text\": \"Once upon a time.\"}\n{\"text\": \"The end.\"}\n");
  config::DatasetConfig b;
  b.path = (dir_ / "b.jsonl").string();
  b.format = config::DatasetFormat::kCompletion;
  data_.datasets.push_back(b);
  BuildOptions opt;
  PreparedData p = build_datasets(data_, *tok_, opt);
  ASSERT_EQ(p.train.size(), 12u);
  data_.shuffle_merged_datasets = false;
  PreparedData q = build_datasets(data_, *tok_, opt);
  EXPECT_EQ(q.train.row(11).labels, q.train.row(11).input_ids);  // completion rows last, unshuffled
  bool moved = false;
  for (size_t i = 0; i < 12; ++i) moved = moved || p.train.row(i).input_ids != q.train.row(i).input_ids;
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace axolotl::data
