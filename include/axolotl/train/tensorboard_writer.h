// TensorBoard event files written by hand (FORMATS.md §6): TFRecord framing with masked CRC-32C around
// Event protobufs encoded field by field: scalars (Summary.Value.simple_value), text, and the hparams
// plugin's session (tensorboard_summary.h). Each record is flushed at once, so a killed run leaves a
// readable file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "axolotl/io/append_file.h"
#include "axolotl/train/tensorboard_summary.h"

namespace axolotl::train {

uint32_t crc32c(const void* data, size_t size);  // Castagnoli, reflected 0x82F63B78
uint32_t masked_crc32c(const void* data, size_t size);

// Protobuf bytes of Event{wall_time, file_version} and Event{wall_time, step, summary{value{tag, simple_value}}}.
std::string encode_file_version_event(double wall_time, const std::string& version = "brain.Event:2");
std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value);
// length, masked crc(length), data, masked crc(data).
std::string frame_record(const std::string& data);

class TensorBoardWriter {
 public:
  // Creates `dir` and events.out.tfevents.<time>.<host>.<pid>.<n> in it, starting with the version event.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  void add_scalar(const std::string& tag, double value, int64_t step);
  // A text-plugin summary "<tag>/text_summary" (TensorBoard renders it as Markdown).
  void add_text(const std::string& tag, const std::string& text, int64_t step = 0);
  // The hparams plugin's experiment (the names, types and metric tags) and this run's session start.
  void add_hparams(const std::vector<HParam>& hparams, const std::vector<std::string>& metric_tags);
  void end_session(SessionStatus status);
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);
  std::string path_;
  std::unique_ptr<io::AppendFile> file_;
};

}  // namespace axolotl::train
