// Learning-rate schedules with Hugging Face semantics: the multiplier of the base rate at optimizer step
// `step` (0-based, the LambdaLR convention: step 0 is the first update). Pure functions of the step, so
// resume needs only the step count. Sources: transformers optimization.py (get_scheduler and its
// _lr_lambda functions), axolotl utils/schedulers.py (cosine with min_lr_ratio).
#pragma once

#include <cstdint>

#include "axolotl/config/config.h"

namespace axolotl::train {

// HF TrainingArguments.get_warmup_steps: warmup_steps when > 0, else ceil(total_steps * warmup_ratio).
int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

class LrScheduler {
 public:
  LrScheduler(config::Scheduler kind, double base_lr, int64_t warmup_steps, int64_t total_steps,
              double cosine_min_lr_ratio = 0.0, double num_cycles = 0.5);

  double factor(int64_t step) const;                        // LambdaLR lambda(step)
  double lr(int64_t step) const { return base_lr_ * factor(step); }
  int64_t warmup_steps() const { return warmup_; }
  int64_t total_steps() const { return total_; }
  // cosine_constant_lr_ratio: with a min_lr_ratio, the cosine reaches the floor at this share of the
  // steps and stays there (axolotl get_cosine_schedule_with_warmup_decay_constant); 0 = off.
  void set_constant_lr_ratio(double ratio) { constant_lr_ratio_ = ratio; }
  // jagged_restart_steps (axolotl JaggedLRRestartScheduler, ReLoRA's schedule): the rate is scaled per
  // restart cycle of `steps` steps: 1 until the first cycle's anneal, then min_scale + (1 - min_scale) ·
  // t, t rising over `warmup` steps after each restart and falling over the `anneal` steps before the
  // next. Axolotl builds the wrapper from the inner schedule's position and torch's LRScheduler steps it
  // once on construction, so wrapped step s runs at the inner schedule's step s + 1 (as there).
  void set_jagged_restarts(int64_t steps, int64_t warmup, int64_t anneal, double min_scale);

 private:
  double inner_factor(int64_t step) const;

  config::Scheduler kind_;
  double base_lr_;
  int64_t warmup_;
  int64_t total_;
  double min_lr_ratio_;
  double num_cycles_;
  double constant_lr_ratio_ = 0.0;
  int64_t jagged_steps_ = 0;  // 0 = no jagged restarts
  int64_t jagged_warmup_ = 10;
  int64_t jagged_anneal_ = 1;
  double jagged_min_scale_ = 0.001;
};

}  // namespace axolotl::train
