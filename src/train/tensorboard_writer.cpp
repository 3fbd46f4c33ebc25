// TFRecord + Event protobuf encoding for TensorBoard scalars (FORMATS.md §6.2–6.3).
#include "axolotl/train/tensorboard_writer.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "axolotl/train/tensorboard_summary.h"
#include "axolotl/util/error.h"
#include "protobuf_wire.h"

namespace axolotl::train {
namespace {
using detail::put_bytes_field;
using detail::put_le;
using detail::put_varint;

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_table();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

std::string encode_file_version_event(double wall_time, const std::string& version) {
  std::string e;
  e.push_back(0x09);  // Event.wall_time, fixed64
  put_le(e, wall_time);
  put_bytes_field(e, 3, version);  // Event.file_version
  return e;
}

std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string v;
  put_bytes_field(v, 1, tag);     // Summary.Value.tag
  v.push_back(0x15);              // Summary.Value.simple_value, fixed32
  put_le(v, value);
  std::string summary;
  put_bytes_field(summary, 1, v);  // Summary.value
  std::string e;
  e.push_back(0x09);
  put_le(e, wall_time);
  e.push_back(0x10);  // Event.step, varint (negative: 10-byte two's complement)
  put_varint(e, static_cast<uint64_t>(step));
  put_bytes_field(e, 5, summary);  // Event.summary
  return e;
}

std::string frame_record(const std::string& data) {
  std::string r;
  const uint64_t len = data.size();
  put_le(r, len);
  put_le(r, masked_crc32c(r.data(), 8));
  r += data;
  put_le(r, masked_crc32c(data.data(), data.size()));
  return r;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  static std::atomic<int> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string host = local_hostname();
  const double t = now_seconds();
  path_ = (std::filesystem::path(dir) /
           fmt::format("events.out.tfevents.{:010d}.{}.{}.{}", static_cast<int64_t>(t), host,
                       static_cast<int>(getpid()), counter++))
              .string();
  file_ = std::make_unique<io::AppendFile>(path_, io::AppendFile::Mode::kTruncate);
  write_record(encode_file_version_event(t));
}

TensorBoardWriter::~TensorBoardWriter() = default;

void TensorBoardWriter::add_text(const std::string& tag, const std::string& text, int64_t step) {
  write_record(encode_text_event(now_seconds(), step, tag, text));
}

void TensorBoardWriter::add_hparams(const std::vector<HParam>& hparams, const std::vector<std::string>& metric_tags) {
  const double t = now_seconds();
  write_record(encode_hparams_experiment_event(t, hparams, metric_tags));
  write_record(encode_session_start_event(t, hparams, t));
}

void TensorBoardWriter::end_session(SessionStatus status) {
  const double t = now_seconds();
  write_record(encode_session_end_event(t, status, t));
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  write_record(encode_scalar_event(now_seconds(), step, tag, static_cast<float>(value)));
}

void TensorBoardWriter::write_record(const std::string& data) {
  file_->write(frame_record(data));
}

}  // namespace axolotl::train
