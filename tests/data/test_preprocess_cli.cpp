// `axolotl preprocess` through the real executable: statistics, --debug, --dump, cache reuse, and
// bad input reported as file:line with exit status 1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "test_support.h"

namespace axolotl {
namespace {

using testing::run_axolotl;
using testing::TempDir;
using testing::write_file;

class PreprocessCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::shared_dir().empty()) GTEST_SKIP() << "../shared absent";
    std::string rows;
    for (int i = 0; i < 30; ++i) {
      rows += "{\"instruction\": \"Reverse the word " + std::to_string(i) + "ab\", \"input\": \"\", \"output\": \"ba" +
              std::to_string(i) + "\"}\n";
    }
    write_file(dir_ / "data.jsonl", rows);
  }
  std::string config(const std::string& data_file, const std::string& extra = "") {
    std::string path = (dir_ / "config.yml").string();
    write_file(path, "base_model: " + (testing::shared_dir() / "models/stories260K").string() +
                         "\ndatasets:\n  - path: " + data_file + "\n    type: alpaca\n" +
                         "dataset_prepared_path: " + (dir_ / "prepared").string() +
                         "\nsequence_len: 128\nval_set_size: 0.1\n" + extra);
    return path;
  }
  TempDir dir_;
};

TEST_F(PreprocessCli, BuildsReportsDumpsAndReuses) {
  std::string cfg = config((dir_ / "data.jsonl").string());
  auto r = run_axolotl({"preprocess", cfg, "--debug", "1", "--dump", (dir_ / "rows.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kept: 30 (train 27, validation 3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("efficiency"), std::string::npos);
  EXPECT_NE(r.out.find("[masked]"), std::string::npos);
  EXPECT_NE(r.out.find("[/masked]"), std::string::npos);
  EXPECT_NE(r.out.find(", 1)"), std::string::npos) << "Axolotl's (label, id) view of the BOS token";
  EXPECT_NE(r.out.find("Count of labels: "), std::string::npos);
  std::ifstream dump(dir_ / "rows.jsonl");
  int lines = 0;
  for (std::string line; std::getline(dump, line);) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["input_ids"].size(), j["labels"].size());
    ++lines;
  }
  EXPECT_EQ(lines, 27);
  auto again = run_axolotl({"preprocess", cfg});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("reused"), std::string::npos);
}

// A bare --debug shows 3 rows; chat rows show each token as (label, id), the prompt's -100 and the
// reply's trained ids; colour only on a terminal (captured output is not one).
TEST_F(PreprocessCli, BareDebugShowsThreeChatRowsWithoutColourOffATerminal) {
  std::string rows;
  for (int i = 0; i < 5; ++i) {
    rows += "{\"messages\": [{\"role\": \"user\", \"content\": \"Say " + std::to_string(i) +
            "\"}, {\"role\": \"assistant\", \"content\": \"Once " + std::to_string(i) + "\"}]}\n";
  }
  write_file(dir_ / "chat.jsonl", rows);
  std::string path = (dir_ / "chat.yml").string();
  write_file(path, "base_model: " + (testing::shared_dir() / "models/stories260K").string() + "\ndatasets:\n  - path: " +
                       (dir_ / "chat.jsonl").string() + "\n    type: chat_template\nchat_template: llama2\n" +
                       "dataset_prepared_path: " + (dir_ / "prepared").string() + "\nsequence_len: 128\nval_set_size: 0\n");
  auto r = run_axolotl({"preprocess", path, "--debug"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t shown = 0;
  for (size_t at = r.out.find("--- row "); at != std::string::npos; at = r.out.find("--- row ", at + 1)) ++shown;
  EXPECT_EQ(shown, 3u) << r.out;
  EXPECT_NE(r.out.find("(-100, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[/masked]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2, 2)"), std::string::npos) << "the trained </s> of each reply: " << r.out;
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no ANSI colour when stdout is not a terminal";
}

TEST_F(PreprocessCli, BadInputExitsOneNamingFileAndLine) {
  write_file(dir_ / "bad.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"a\", \"output\": 5}\n");
  auto r = run_axolotl({"preprocess", config((dir_ / "bad.jsonl").string())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("output"), std::string::npos) << r.err;

  write_file(dir_ / "broken.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \n");
  r = run_axolotl({"preprocess", config((dir_ / "broken.jsonl").string())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.jsonl:2"), std::string::npos) << r.err;

  r = run_axolotl({"preprocess", config((dir_ / "missing.jsonl").string())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;

  write_file(dir_ / "empty.jsonl", "");
  r = run_axolotl({"preprocess", config((dir_ / "empty.jsonl").string())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl
