// Divergence checks after each optimizer step.
#include "axolotl/train/loss_watchdog.h"

#include <cmath>

#include <fmt/format.h>

namespace axolotl::train {

std::string LossWatchdog::check(int64_t step, double loss, double grad_norm) {
  if (!std::isfinite(loss))
    return fmt::format("the loss became {} at step {}", loss, step);
  if (!std::isfinite(grad_norm))
    return fmt::format("the gradient norm became {} at step {} (loss {:.4f})", grad_norm, step, loss);
  if (!threshold_) return {};
  if (loss > *threshold_) {
    if (++over_ >= patience_)
      return fmt::format("the loss stayed above loss_watchdog_threshold {} for {} steps (step {}, loss {:.4f})",
                         *threshold_, over_, step, loss);
  } else {
    over_ = 0;
  }
  return {};
}

}  // namespace axolotl::train
