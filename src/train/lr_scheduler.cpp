// HF/Axolotl learning-rate lambdas (see lr_scheduler.h for sources).
#include "axolotl/train/lr_scheduler.h"

#include <algorithm>
#include <cmath>

namespace axolotl::train {

int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

LrScheduler::LrScheduler(config::Scheduler kind, double base_lr, int64_t warmup_steps, int64_t total_steps,
                         double cosine_min_lr_ratio, double num_cycles)
    : kind_(kind), base_lr_(base_lr), warmup_(warmup_steps), total_(total_steps),
      min_lr_ratio_(cosine_min_lr_ratio), num_cycles_(num_cycles) {}

void LrScheduler::set_jagged_restarts(int64_t steps, int64_t warmup, int64_t anneal, double min_scale) {
  jagged_steps_ = steps;
  jagged_warmup_ = warmup;
  jagged_anneal_ = anneal;
  jagged_min_scale_ = min_scale;
}

double LrScheduler::factor(int64_t step) const {
  if (jagged_steps_ <= 0) return inner_factor(step);
  const int64_t e = step + 1;  // the wrapper's last_epoch (see lr_scheduler.h)
  double scale = 1.0;
  if (e >= jagged_steps_ - jagged_anneal_) {
    const int64_t progress = e % jagged_steps_;
    double t = 1.0;
    if (progress < jagged_warmup_) {
      t = std::min(1.0, static_cast<double>(progress) / static_cast<double>(jagged_warmup_));
    } else if (progress > jagged_steps_ - jagged_anneal_) {
      t = std::min(1.0, static_cast<double>(jagged_steps_ - progress) / static_cast<double>(jagged_anneal_));
    }
    scale = t * (1.0 - jagged_min_scale_) + jagged_min_scale_;
  }
  return inner_factor(e) * scale;
}

double LrScheduler::inner_factor(int64_t step) const {
  const double s = static_cast<double>(step);
  const double warm = static_cast<double>(std::max<int64_t>(1, warmup_));
  if (kind_ == config::Scheduler::kConstant) return 1.0;
  if (step < warmup_) return s / warm;  // every warmup lambda: float(step) / max(1, warmup)
  const double span = static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  const double progress = (s - static_cast<double>(warmup_)) / span;
  switch (kind_) {
    case config::Scheduler::kConstantWithWarmup:
      return 1.0;
    case config::Scheduler::kLinear:  // _get_linear_schedule_with_warmup_lr_lambda
      return std::max(0.0, static_cast<double>(total_ - step) / span);
    case config::Scheduler::kCosine:
      if (min_lr_ratio_ > 0.0 && constant_lr_ratio_ > 0.0) {
        // axolotl _get_cosine_schedule_with_warmup_decay_constant_lr_lambda (num_cycles 0.5)
        const int64_t constant_steps = static_cast<int64_t>(static_cast<double>(total_) * constant_lr_ratio_);
        const double cs = static_cast<double>(std::min(step, constant_steps));
        const double p = (cs - static_cast<double>(warmup_)) /
                         static_cast<double>(std::max<int64_t>(1, constant_steps - warmup_));
        return std::max(0.0, (1.0 - min_lr_ratio_) * 0.5 * (1.0 + std::cos(M_PI * num_cycles_ * 2.0 * p))) +
               min_lr_ratio_;
      }
      if (min_lr_ratio_ > 0.0) {  // axolotl _get_cosine_schedule_with_min_lr_lambda (no clamp, no cycles)
        const double scaling = 0.5 * (1.0 + std::cos(M_PI * progress));
        return (1.0 - min_lr_ratio_) * scaling + min_lr_ratio_;
      }
      // transformers _get_cosine_schedule_with_warmup_lr_lambda
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * num_cycles_ * 2.0 * progress)));
    case config::Scheduler::kConstant:
      break;
  }
  return 1.0;
}

}  // namespace axolotl::train
