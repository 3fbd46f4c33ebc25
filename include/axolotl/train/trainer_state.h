// trainer_state.json as Hugging Face's Trainer writes it (FORMATS.md §7.2: asdict(TrainerState),
// indent 2, sorted keys, trailing newline). Reading tolerates missing and extra keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace axolotl::train {

struct TrainerState {
  double epoch = 0.0;                   // fractional progress
  int64_t global_step = 0;              // optimizer updates done
  int64_t max_steps = 0;
  int64_t logging_steps = 1;
  int64_t eval_steps = 0;
  int64_t save_steps = 0;
  int64_t train_batch_size = 1;         // micro batch size
  int64_t num_train_epochs = 1;
  int64_t num_input_tokens_seen = 0;
  double total_flos = 0.0;
  std::vector<nlohmann::json> log_history;
  std::optional<double> best_metric;    // lowest eval_loss
  std::optional<int64_t> best_global_step;
  std::optional<std::string> best_model_checkpoint;
  int early_stopping_patience = 0;      // EarlyStoppingCallback args
  int early_stopping_patience_counter = 0;
  bool should_training_stop = false;    // TrainerControl

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j);
};

void write_trainer_state(const std::string& path, const TrainerState& state);  // temp + rename
TrainerState read_trainer_state(const std::string& path);                      // IoError naming the file

}  // namespace axolotl::train
