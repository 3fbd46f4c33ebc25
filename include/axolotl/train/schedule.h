// When things happen in a run: total optimizer steps, and the steps that log, evaluate and save,
// from the config's training/eval/checkpoint/logging sections (HF TrainingArguments and Axolotl's
// evals_per_epoch / saves_per_epoch conversions). Pure functions, unit-tested.
#pragma once

#include <cstdint>
#include <vector>

#include "axolotl/config/config.h"

namespace axolotl::train {

struct Schedule {
  int64_t total_steps = 0;      // optimizer steps of the whole run
  int64_t warmup_steps = 0;
  int64_t eval_every = 0;       // 0 = no periodic evaluation
  int64_t save_every = 0;       // 0 = save at epoch ends only
  int64_t log_every = 1;
  bool saves = true;            // save_strategy: no -> false (a stop signal still saves)
  bool eval_at_epoch_ends = false;  // eval_strategy: epoch (the last step ends an epoch too)
  std::vector<int64_t> epoch_end_steps;  // global step after which each epoch ends (cumulative)

  bool logs_at(int64_t step) const { return log_every > 0 && step % log_every == 0; }
  bool evaluates_at(int64_t step) const;  // eval_every multiple, or an epoch end with eval_at_epoch_ends
  bool saves_at(int64_t step) const;  // save_every multiple, or an epoch end when save_every is 0
  double epoch_at(int64_t step) const;  // fractional epochs done after `step` optimizer steps
};

// steps_per_epoch[e] = optimizer steps of epoch e (packing can vary them per epoch); with max_steps > 0
// the run stops there, cycling epochs as needed (the vector is indexed modulo its size past its end).
Schedule make_schedule(const config::TrainingConfig& training, const config::EvalConfig& eval,
                       const config::CheckpointConfig& checkpoint, const config::LoggingConfig& logging,
                       const std::vector<int64_t>& steps_per_epoch, bool has_eval_data);

}  // namespace axolotl::train
