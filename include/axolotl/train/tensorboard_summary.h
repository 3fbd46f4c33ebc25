// TensorBoard summaries beyond scalars, as Event protobufs: a text summary (the text plugin's tensor
// of one string, as torch.utils.tensorboard.summary.text writes it) and the hparams plugin's
// experiment / session_start_info / session_end_info (tensorboard/plugins/hparams/{api,plugin_data}.proto,
// as hparams summary_v2 writes them). Also Trainer's run-folder name. Encoding only; no I/O.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <variant>
#include <vector>

namespace axolotl::train {

// One hyper-parameter: google.protobuf.Value number_value, string_value or bool_value.
struct HParam {
  std::string name;
  std::variant<double, std::string, bool> value;
};

// hparams api.proto Status.
enum class SessionStatus { kUnknown = 0, kSuccess = 1, kFailure = 2, kRunning = 3 };

// Event{wall_time, step, summary{value{tag "<tag>/text_summary", metadata{plugin_data{plugin_name "text"}},
// tensor{DT_STRING, shape [1], string_val [text]}}}}.
std::string encode_text_event(double wall_time, int64_t step, const std::string& tag, const std::string& text);

// Event with the "_hparams_/experiment" summary: one HParamInfo per hparam (name, type) and one
// MetricInfo per metric tag (group "", the run's own scalars).
std::string encode_hparams_experiment_event(double wall_time, const std::vector<HParam>& hparams,
                                            const std::vector<std::string>& metric_tags);
// Event with "_hparams_/session_start_info": the values, and start_time_secs.
std::string encode_session_start_event(double wall_time, const std::vector<HParam>& hparams, double start_time_secs);
// Event with "_hparams_/session_end_info": status and end_time_secs.
std::string encode_session_end_event(double wall_time, SessionStatus status, double end_time_secs);

// TrainingArguments' default logging_dir below output_dir: "runs/" + strftime("%b%d_%H-%M-%S") of the
// local time + "_" + hostname (month names in English, as Python's C locale).
std::string run_folder_name(std::time_t when, const std::string& hostname);
std::string local_hostname();

}  // namespace axolotl::train
