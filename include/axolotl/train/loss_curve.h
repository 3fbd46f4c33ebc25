// The loss curve as a standalone SVG (train loss and eval loss against the optimizer step), written at
// the end of training beside metrics.jsonl. No plotting library: a polyline per series, axes, ticks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace axolotl::train {

using Series = std::vector<std::pair<int64_t, double>>;  // (step, loss); non-finite points are skipped

std::string loss_curve_svg(const Series& train, const Series& eval, const std::string& title);
void write_loss_curve(const std::string& path, const Series& train, const Series& eval, const std::string& title);

}  // namespace axolotl::train
