// trainer_state.json in HF Trainer's layout (transformers trainer_callback.py TrainerState).
#include "axolotl/io/atomic_file.h"
#include "axolotl/train/trainer_state.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "axolotl/util/error.h"

namespace axolotl::train {

nlohmann::json TrainerState::to_json() const {
  nlohmann::json j;  // std::map-backed: keys come out sorted, as sort_keys=True
  j["epoch"] = epoch;
  j["global_step"] = global_step;
  j["max_steps"] = max_steps;
  j["logging_steps"] = logging_steps;
  j["eval_steps"] = eval_steps;
  j["save_steps"] = save_steps;
  j["train_batch_size"] = train_batch_size;
  j["num_train_epochs"] = num_train_epochs;
  j["num_input_tokens_seen"] = num_input_tokens_seen;
  j["total_flos"] = total_flos;
  j["log_history"] = log_history;
  j["best_metric"] = best_metric ? nlohmann::json(*best_metric) : nlohmann::json(nullptr);
  j["best_global_step"] = best_global_step ? nlohmann::json(*best_global_step) : nlohmann::json(nullptr);
  j["best_model_checkpoint"] = best_model_checkpoint ? nlohmann::json(*best_model_checkpoint) : nlohmann::json(nullptr);
  j["is_local_process_zero"] = true;
  j["is_world_process_zero"] = true;
  j["is_hyper_param_search"] = false;
  j["trial_name"] = nullptr;
  j["trial_params"] = nullptr;
  nlohmann::json callbacks = nlohmann::json::object();
  callbacks["TrainerControl"] = {{"args",
                                  {{"should_epoch_stop", false},
                                   {"should_evaluate", false},
                                   {"should_log", false},
                                   {"should_save", true},
                                   {"should_training_stop", should_training_stop}}},
                                 {"attributes", nlohmann::json::object()}};
  if (early_stopping_patience > 0)
    callbacks["EarlyStoppingCallback"] = {
        {"args", {{"early_stopping_patience", early_stopping_patience}, {"early_stopping_threshold", 0.0}}},
        {"attributes", {{"early_stopping_patience_counter", early_stopping_patience_counter}}}};
  j["stateful_callbacks"] = callbacks;
  return j;
}

TrainerState TrainerState::from_json(const nlohmann::json& j) {
  TrainerState s;
  auto num = [&](const char* k, auto& field) {
    if (j.contains(k) && j[k].is_number()) field = j[k].get<std::decay_t<decltype(field)>>();
  };
  num("epoch", s.epoch);
  num("global_step", s.global_step);
  num("max_steps", s.max_steps);
  num("logging_steps", s.logging_steps);
  num("eval_steps", s.eval_steps);
  num("save_steps", s.save_steps);
  num("train_batch_size", s.train_batch_size);
  num("num_train_epochs", s.num_train_epochs);
  num("num_input_tokens_seen", s.num_input_tokens_seen);
  num("total_flos", s.total_flos);
  if (j.contains("log_history") && j["log_history"].is_array())
    for (const auto& e : j["log_history"]) s.log_history.push_back(e);
  if (j.contains("best_metric") && j["best_metric"].is_number()) s.best_metric = j["best_metric"].get<double>();
  if (j.contains("best_global_step") && j["best_global_step"].is_number())
    s.best_global_step = j["best_global_step"].get<int64_t>();
  if (j.contains("best_model_checkpoint") && j["best_model_checkpoint"].is_string())
    s.best_model_checkpoint = j["best_model_checkpoint"].get<std::string>();
  const auto es = j.value("/stateful_callbacks/EarlyStoppingCallback"_json_pointer, nlohmann::json::object());
  s.early_stopping_patience = es.value("/args/early_stopping_patience"_json_pointer, 0);
  s.early_stopping_patience_counter = es.value("/attributes/early_stopping_patience_counter"_json_pointer, 0);
  return s;
}

void write_trainer_state(const std::string& path, const TrainerState& state) {
  io::write_file_atomic(path, state.to_json().dump(2) + "\n");
}

TrainerState read_trainer_state(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!in || j.is_discarded() || !j.is_object()) {
    Diagnostic d;
    d.where.file = path;
    d.message = "cannot read trainer_state.json (missing or not a JSON object)";
    throw IoError(d);
  }
  return TrainerState::from_json(j);
}

}  // namespace axolotl::train
