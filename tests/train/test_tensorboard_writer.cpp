// TensorBoard writer: CRC-32C check values and the worked records of FORMATS.md §6.2/§6.4, a written
// file parsed back record by record with its CRCs verified, text and hparams summaries read back by
// tests/reference/tfevents_reader.py (stdlib protobuf decoder), and Trainer's run-folder name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "axolotl/train/tensorboard_writer.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

std::string hex(const std::string& s) {
  std::string o;
  char b[4];
  for (unsigned char c : s) {
    std::snprintf(b, sizeof b, "%02X ", c);
    o += b;
  }
  if (!o.empty()) o.pop_back();
  return o;
}

TEST(Crc32c, PublishedVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  const std::string v = std::string("\x1A\x11", 2) + "CRC test, one two";
  EXPECT_EQ(masked_crc32c(v.data(), v.size()), 0x5794D08Au);
}

TEST(TensorBoard, FileVersionEventMatchesWorkedExample) {
  const std::string data = encode_file_version_event(1700000000.5);
  EXPECT_EQ(hex(data), "09 00 00 20 40 FC 54 D9 41 1A 0D 62 72 61 69 6E 2E 45 76 65 6E 74 3A 32");
  EXPECT_EQ(hex(frame_record(data)),
            "18 00 00 00 00 00 00 00 A3 7F 4B 22 " + hex(data) + " 2B 35 31 10");
}

TEST(TensorBoard, ScalarEventMatchesWorkedExample) {
  const std::string data = encode_scalar_event(1700000000.5, 10, "train/loss", 1.5f);
  EXPECT_EQ(hex(data),
            "09 00 00 20 40 FC 54 D9 41 10 0A 2A 13 0A 11 0A 0A 74 72 61 69 6E 2F 6C 6F 73 73 15 00 00 C0 3F");
  EXPECT_EQ(hex(frame_record(data)), "20 00 00 00 00 00 00 00 29 ED A9 50 " + hex(data) + " DC 78 6A A9");
}

TEST(TensorBoard, WrittenFileParsesBackWithValidCrcs) {
  testing::TempDir dir;
  std::string path;
  {
    TensorBoardWriter w((dir / "runs").string());
    path = w.path();
    w.add_scalar("train/loss", 2.25, 1);
    w.add_scalar("train/learning_rate", 1e-4, 2);
  }
  EXPECT_NE(std::filesystem::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
  const std::string bytes = testing::read_file(path);
  size_t pos = 0;
  std::vector<std::string> records;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    uint64_t len;
    std::memcpy(&len, bytes.data() + pos, 8);
    uint32_t len_crc, data_crc;
    std::memcpy(&len_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(len_crc, masked_crc32c(bytes.data() + pos, 8));
    ASSERT_LE(pos + 12 + len + 4, bytes.size());
    const std::string data = bytes.substr(pos + 12, len);
    std::memcpy(&data_crc, bytes.data() + pos + 12 + len, 4);
    EXPECT_EQ(data_crc, masked_crc32c(data.data(), data.size()));
    records.push_back(data);
    pos += 12 + len + 4;
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  EXPECT_NE(records[1].find("train/loss"), std::string::npos);
  float v;  // the last 4 bytes are simple_value
  std::memcpy(&v, records[1].data() + records[1].size() - 4, 4);
  EXPECT_FLOAT_EQ(v, 2.25f);
  EXPECT_EQ(static_cast<unsigned char>(records[2][10]), 2);  // step varint after tag 0x10
}

// The reference reader's JSON for `path` (a file or a folder); empty when it failed (its message in *err).
nlohmann::json read_events(const std::filesystem::path& path, const std::filesystem::path& dir, std::string* err) {
  const auto script = testing::source_dir() / "tests" / "reference" / "tfevents_reader.py";
  const std::string cmd = testing::python() + " " + script.string() + " " + path.string() + " > " +
                          (dir / "events.json").string() + " 2> " + (dir / "events.err").string();
  if (std::system(cmd.c_str()) != 0) {
    *err = testing::read_file(dir / "events.err");
    return nullptr;
  }
  return nlohmann::json::parse(testing::read_file(dir / "events.json"));
}

TEST(TensorBoard, TextAndHparamsSummariesReadBackThroughTheProtos) {
  if (testing::python().empty()) GTEST_SKIP() << "no python3";
  testing::TempDir dir;
  std::string path;
  {
    TensorBoardWriter w((dir / "runs" / "run-a").string());
    path = w.path();
    w.add_scalar("train/loss", 2.25, 1);
    w.add_text("axolotl_config", "```yaml\nlearning_rate: 0.0002\n```\n");
    w.add_hparams({{"learning_rate", 2e-4}, {"optimizer", std::string("adamw_torch")}, {"sample_packing", true}},
                  {"train/loss", "eval/loss"});
    w.add_scalar("eval/loss", 1.75, 300);
    w.end_session(SessionStatus::kSuccess);
  }
  std::string err;
  const auto ev = read_events(dir / "runs", dir.path(), &err);
  ASSERT_FALSE(ev.is_null()) << err;
  EXPECT_EQ(ev["files"], 1);
  EXPECT_EQ(ev["records"], 7);  // version, 2 scalars, text, experiment, session start, session end
  EXPECT_EQ(ev["file_version"], "brain.Event:2");
  EXPECT_EQ(ev["scalars"], nlohmann::json::parse(R"([["train/loss", 1, 2.25], ["eval/loss", 300, 1.75]])"));
  ASSERT_EQ(ev["texts"].size(), 1u);
  EXPECT_EQ(ev["texts"][0][0], "axolotl_config/text_summary");
  EXPECT_EQ(ev["texts"][0][2], "```yaml\nlearning_rate: 0.0002\n```\n");
  EXPECT_EQ(ev["plugins"]["axolotl_config/text_summary"], "text");
  EXPECT_EQ(ev["plugins"]["_hparams_/experiment"], "hparams");
  EXPECT_EQ(ev["plugins"]["_hparams_/session_start_info"], "hparams");
  EXPECT_EQ(ev["plugins"]["_hparams_/session_end_info"], "hparams");
  // api.proto DataType: FLOAT64 3, STRING 1, BOOL 2; metrics of the session's own run (group "").
  EXPECT_EQ(ev["experiment"]["hparams"],
            nlohmann::json::parse(R"([["learning_rate", 3], ["optimizer", 1], ["sample_packing", 2]])"));
  EXPECT_EQ(ev["experiment"]["metrics"], nlohmann::json::parse(R"([["", "train/loss"], ["", "eval/loss"]])"));
  EXPECT_EQ(ev["session_start"]["hparams"]["learning_rate"], 2e-4);
  EXPECT_EQ(ev["session_start"]["hparams"]["optimizer"], "adamw_torch");
  EXPECT_EQ(ev["session_start"]["hparams"]["sample_packing"], true);
  EXPECT_GT(ev["session_start"]["start_time_secs"].get<double>(), 1.6e9);
  EXPECT_EQ(ev["session_end"]["status"], 1);  // STATUS_SUCCESS
  EXPECT_GE(ev["session_end"]["end_time_secs"].get<double>(), ev["session_start"]["start_time_secs"].get<double>());

  // The reader checks both masked CRCs: one flipped byte in a record's data is refused.
  std::string bytes = testing::read_file(path);
  bytes[bytes.size() / 2] ^= 0x01;
  testing::write_file(path, bytes);
  EXPECT_TRUE(read_events(path, dir.path(), &err).is_null());
  EXPECT_NE(err.find("crc"), std::string::npos) << err;
}

TEST(TensorBoard, RunFolderIsNamedAsTrainersLoggingDir) {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(run_folder_name(1700000000, "box"), "Nov14_22-13-20_box");  // 2023-11-14 22:13:20 UTC
  EXPECT_EQ(run_folder_name(1675227906, "h.example"), "Feb01_05-05-06_h.example");
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  EXPECT_FALSE(local_hostname().empty());
}

}  // namespace
}  // namespace axolotl::train
