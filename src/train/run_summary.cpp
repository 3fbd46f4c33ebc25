// See run_summary.h.
#include "axolotl/train/run_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "axolotl/train/progress.h"

namespace axolotl::train {
namespace {

std::string describe(const Series& s, bool perplexity) {
  if (s.empty()) return "none";
  const auto best = std::min_element(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string out = fmt::format("{:.4f} (step {}) -> {:.4f} (step {}), best {:.4f} at step {}", s.front().second,
                                s.front().first, s.back().second, s.back().first, best->second, best->first);
  if (perplexity) out += fmt::format(", perplexity {:.2f}", std::exp(best->second));
  return out;
}

}  // namespace

std::vector<std::string> summary_lines(const RunSummary& s) {
  std::vector<std::string> lines;
  const double tps = s.seconds > 0 ? static_cast<double>(s.tokens) / s.seconds : 0.0;
  lines.push_back(fmt::format("training finished: {} steps ({:.2f} epochs) in {}, {} tokens, {:.0f} tokens/s", s.steps,
                              s.epochs, format_duration(s.seconds), s.tokens, tps));
  lines.push_back("  train loss  " + describe(s.train, false) + fmt::format(", mean {:.4f}", s.mean_train_loss));
  lines.push_back("  eval loss   " + describe(s.eval, true));
  std::string ckpts;
  for (const auto& c : s.checkpoints) ckpts += (ckpts.empty() ? "" : ", ") + c;
  lines.push_back(fmt::format("  output      {} ({}, metrics.jsonl, trainer_state.json, loss_curve.svg)", s.output_dir,
                              s.adapter ? "adapter_model.safetensors + adapter_config.json" : "model safetensors + config.json"));
  lines.push_back("  checkpoints " + (ckpts.empty() ? std::string("none") : ckpts));
  if (!s.classifier_class.empty()) {
    lines.push_back("  next        score with transformers: " + s.classifier_class + ".from_pretrained(\"" + s.output_dir +
                    "\")");
  } else if (s.adapter) {
    lines.push_back("  next        axolotl inference CONFIG --prompt \"...\"  |  axolotl merge CONFIG --output DIR");
  } else {
    lines.push_back("  next        axolotl inference CONFIG --base-model " + s.output_dir + " --prompt \"...\"");
  }
  return lines;
}

}  // namespace axolotl::train
