// `axolotl train`: the optimizer-step loop over packed/padded micro-batches with gradient
// accumulation (loss = Σ token losses / trained tokens of the whole step), LR schedule, clipping,
// periodic logging (metrics.jsonl, TensorBoard), evaluation with early stopping, checkpoints with
// exact resume, graceful stop on SIGINT/SIGTERM (exit 128+signal) and a divergence watchdog.
// Output: output_dir/{adapter or model files, tokenizer files, axolotl_config.yml, metrics.jsonl,
// trainer_state.json, loss_curve.svg, checkpoint-N/, runs/ (TensorBoard)}.
#pragma once

#include "axolotl/config/config.h"

namespace axolotl::train {

// Runs the whole training the config describes. Returns the process status (0, or 128+signal when
// stopped by a signal after saving); throws Error on failures (divergence included).
int run_training(const config::Config& config);

// `axolotl evaluate`: the same setup, then one evaluation on the eval split (or test_datasets);
// prints eval_loss and eval_perplexity on stdout, trains and writes nothing.
int run_evaluation(const config::Config& config);

}  // namespace axolotl::train
