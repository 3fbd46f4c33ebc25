// The one-screen summary printed when training ends: steps, time, speed, the train and eval loss
// (first, last, best), where the outputs are, and what to run next.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axolotl/train/loss_curve.h"

namespace axolotl::train {

struct RunSummary {
  int64_t steps = 0;
  double epochs = 0;
  double seconds = 0;
  int64_t tokens = 0;           // non-padding tokens trained on
  double mean_train_loss = 0;   // over the logged steps
  Series train;                 // (step, loss) per logging step
  Series eval;                  // (step, eval loss)
  std::string output_dir;
  bool adapter = true;          // adapter or full weights
  std::vector<std::string> checkpoints;
  // A reward model's transformers class (AutoModelFor{Sequence,Token}Classification): nothing here
  // generates with it. Empty for a causal LM.
  std::string classifier_class;
};

// Lines to log, without trailing newlines.
std::vector<std::string> summary_lines(const RunSummary& s);

}  // namespace axolotl::train
