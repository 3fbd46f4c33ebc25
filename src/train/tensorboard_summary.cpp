// Text and hparams summaries for TensorBoard event files (tensorboard_summary.h).
#include "axolotl/train/tensorboard_summary.h"

#include <unistd.h>

#include <fmt/format.h>

#include "protobuf_wire.h"

namespace axolotl::train {
namespace {
using detail::put_bytes_field;
using detail::put_double_field;
using detail::put_varint_field;

// SummaryMetadata{plugin_data{plugin_name, content}} (summary.proto fields 1 / 1, 2).
std::string summary_metadata(const std::string& plugin, const std::string& content) {
  std::string pd;
  put_bytes_field(pd, 1, plugin);
  if (!content.empty()) put_bytes_field(pd, 2, content);
  std::string md;
  put_bytes_field(md, 1, pd);
  return md;
}

// Event{wall_time = 1, step = 2, summary = 5{value = 1}}.
std::string event_with_value(double wall_time, int64_t step, const std::string& value) {
  std::string summary;
  put_bytes_field(summary, 1, value);
  std::string e;
  put_double_field(e, 1, wall_time);
  if (step != 0) put_varint_field(e, 2, static_cast<uint64_t>(step));
  put_bytes_field(e, 5, summary);
  return e;
}

// The hparams plugin's value: tag, metadata (plugin "hparams", HParamsPluginData{version 0, data}) and
// hparams metadata.NULL_TENSOR (make_tensor_proto([], DT_FLOAT, shape=(0,)): 6 bytes) in Summary.Value.tensor = 8.
std::string hparams_value(const std::string& tag, uint32_t data_field, const std::string& data) {
  std::string plugin_data;  // HParamsPluginData: version = 1 (0: omitted), experiment 2 | start 3 | end 4
  put_bytes_field(plugin_data, data_field, data);
  std::string shape;  // TensorShapeProto{dim = 2: one Dim{size 0}, an empty message}
  put_bytes_field(shape, 2, "");
  std::string tensor;  // TensorProto{dtype = 1 (DT_FLOAT = 1), tensor_shape = 2}
  put_varint_field(tensor, 1, 1);
  put_bytes_field(tensor, 2, shape);
  std::string v;
  put_bytes_field(v, 1, tag);
  put_bytes_field(v, 9, summary_metadata("hparams", plugin_data));
  put_bytes_field(v, 8, tensor);
  return v;
}

// google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4.
std::string protobuf_value(const HParam& h) {
  std::string v;
  if (const auto* d = std::get_if<double>(&h.value)) {
    put_double_field(v, 2, *d);
  } else if (const auto* s = std::get_if<std::string>(&h.value)) {
    put_bytes_field(v, 3, *s);
  } else {
    put_varint_field(v, 4, std::get<bool>(h.value) ? 1 : 0);
  }
  return v;
}

}  // namespace

std::string encode_text_event(double wall_time, int64_t step, const std::string& tag, const std::string& text) {
  std::string dim;  // TensorShapeProto.Dim{size = 1}
  put_varint_field(dim, 1, 1);
  std::string shape;  // TensorShapeProto{dim = 2}
  put_bytes_field(shape, 2, dim);
  std::string tensor;  // TensorProto{dtype = 1 (DT_STRING = 7), tensor_shape = 2, string_val = 8}
  put_varint_field(tensor, 1, 7);
  put_bytes_field(tensor, 2, shape);
  put_bytes_field(tensor, 8, text);
  std::string v;  // Summary.Value{tag = 1, metadata = 9, tensor = 8}; TextPluginData{version 0} is empty
  put_bytes_field(v, 1, tag + "/text_summary");
  put_bytes_field(v, 9, summary_metadata("text", ""));
  put_bytes_field(v, 8, tensor);
  return event_with_value(wall_time, step, v);
}

std::string encode_hparams_experiment_event(double wall_time, const std::vector<HParam>& hparams,
                                            const std::vector<std::string>& metric_tags) {
  std::string experiment;  // Experiment{time_created_secs = 3, hparam_infos = 4, metric_infos = 5}
  put_double_field(experiment, 3, wall_time);
  for (const auto& h : hparams) {
    std::string info;  // HParamInfo{name = 1, type = 4: DATA_TYPE_STRING 1, BOOL 2, FLOAT64 3}
    put_bytes_field(info, 1, h.name);
    const uint64_t type = std::holds_alternative<double>(h.value) ? 3 : std::holds_alternative<bool>(h.value) ? 2 : 1;
    put_varint_field(info, 4, type);
    put_bytes_field(experiment, 4, info);
  }
  for (const auto& tag : metric_tags) {
    std::string name;  // MetricName{group = 1 (empty: the session's run), tag = 2}
    put_bytes_field(name, 2, tag);
    std::string info;  // MetricInfo{name = 1}
    put_bytes_field(info, 1, name);
    put_bytes_field(experiment, 5, info);
  }
  return event_with_value(wall_time, 0, hparams_value("_hparams_/experiment", 2, experiment));
}

std::string encode_session_start_event(double wall_time, const std::vector<HParam>& hparams, double start_time_secs) {
  std::string start;  // SessionStartInfo{hparams = 1 (map entries {key = 1, value = 2}), start_time_secs = 5}
  for (const auto& h : hparams) {
    std::string entry;
    put_bytes_field(entry, 1, h.name);
    put_bytes_field(entry, 2, protobuf_value(h));
    put_bytes_field(start, 1, entry);
  }
  put_double_field(start, 5, start_time_secs);
  return event_with_value(wall_time, 0, hparams_value("_hparams_/session_start_info", 3, start));
}

std::string encode_session_end_event(double wall_time, SessionStatus status, double end_time_secs) {
  std::string end;  // SessionEndInfo{status = 1, end_time_secs = 2}
  if (status != SessionStatus::kUnknown) put_varint_field(end, 1, static_cast<uint64_t>(status));
  put_double_field(end, 2, end_time_secs);
  return event_with_value(wall_time, 0, hparams_value("_hparams_/session_end_info", 4, end));
}

std::string run_folder_name(std::time_t when, const std::string& hostname) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm t{};
  localtime_r(&when, &t);
  return fmt::format("{}{:02d}_{:02d}-{:02d}-{:02d}_{}", kMonths[t.tm_mon], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                     hostname);
}

std::string local_hostname() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace axolotl::train
