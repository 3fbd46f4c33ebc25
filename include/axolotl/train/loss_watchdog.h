// Stops training on a diverging run: a non-finite loss or gradient norm at once, or a loss above
// loss_watchdog_threshold for loss_watchdog_patience optimizer steps in a row (Axolotl's LossWatchDogCallback).
#pragma once

#include <optional>
#include <string>

namespace axolotl::train {

class LossWatchdog {
 public:
  LossWatchdog(std::optional<double> threshold, int patience) : threshold_(threshold), patience_(patience) {}

  // Empty when training may go on; otherwise the reason to stop, for the user.
  std::string check(int64_t step, double loss, double grad_norm);

 private:
  std::optional<double> threshold_;
  int patience_;
  int over_ = 0;
};

}  // namespace axolotl::train
