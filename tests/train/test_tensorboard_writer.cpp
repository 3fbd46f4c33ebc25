// TensorBoard writer: CRC-32C check values and the worked records of FORMATS.md §6.2/§6.4, then a
// written file parsed back record by record with its CRCs verified.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

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

}  // namespace
}  // namespace axolotl::train
