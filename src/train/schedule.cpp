// Step bookkeeping of a run.
#include "axolotl/train/schedule.h"

#include <algorithm>

#include "axolotl/train/lr_scheduler.h"
#include "axolotl/util/error.h"

namespace axolotl::train {

bool Schedule::saves_at(int64_t step) const {
  if (!saves) return false;
  if (save_every > 0) return step % save_every == 0;
  return std::find(epoch_end_steps.begin(), epoch_end_steps.end(), step) != epoch_end_steps.end();
}

bool Schedule::evaluates_at(int64_t step) const {
  if (eval_at_epoch_ends) {
    return step == total_steps ||
           std::find(epoch_end_steps.begin(), epoch_end_steps.end(), step) != epoch_end_steps.end();
  }
  return eval_every > 0 && step % eval_every == 0;
}

double Schedule::epoch_at(int64_t step) const {
  int64_t begin = 0;
  for (size_t e = 0; e < epoch_end_steps.size(); ++e) {
    const int64_t end = epoch_end_steps[e];
    if (step <= end) {
      const int64_t len = std::max<int64_t>(1, end - begin);
      return static_cast<double>(e) + static_cast<double>(step - begin) / static_cast<double>(len);
    }
    begin = end;
  }
  return static_cast<double>(epoch_end_steps.size());
}

Schedule make_schedule(const config::TrainingConfig& t, const config::EvalConfig& ev,
                       const config::CheckpointConfig& ck, const config::LoggingConfig& lg,
                       const std::vector<int64_t>& steps_per_epoch, bool has_eval_data) {
  if (steps_per_epoch.empty() || steps_per_epoch[0] <= 0) {
    Diagnostic d;
    d.key = "micro_batch_size";
    d.message = "the training data makes no optimizer step";
    d.hint = "add data, or lower micro_batch_size / gradient_accumulation_steps / sequence_len";
    throw ConfigError({d});
  }
  Schedule s;
  int64_t cum = 0;
  if (t.max_steps > 0) {
    for (size_t e = 0; cum < t.max_steps; ++e) {
      cum += steps_per_epoch[e % steps_per_epoch.size()];
      s.epoch_end_steps.push_back(cum);
    }
    s.total_steps = t.max_steps;
  } else {
    for (int e = 0; e < std::max(1, t.num_epochs); ++e) {
      cum += steps_per_epoch[static_cast<size_t>(e) % steps_per_epoch.size()];
      s.epoch_end_steps.push_back(cum);
    }
    s.total_steps = cum;
  }
  s.warmup_steps = warmup_steps_for(t.warmup_steps, t.warmup_ratio, s.total_steps);
  const int64_t per_epoch = steps_per_epoch[0];
  // eval_strategy (Axolotl's builder, then HF): no eval data or `no` -> never; eval_steps /
  // evals_per_epoch -> steps; `epoch` -> epoch ends; `steps` alone -> every logging_steps.
  if (has_eval_data && ev.strategy != config::EvalStrategy::kNo) {
    if (ev.eval_steps > 0) s.eval_every = ev.eval_steps;
    else if (ev.evals_per_epoch > 0) s.eval_every = std::max<int64_t>(1, per_epoch / ev.evals_per_epoch);
    else if (ev.strategy == config::EvalStrategy::kEpoch) s.eval_at_epoch_ends = true;
    else if (ev.strategy == config::EvalStrategy::kSteps) s.eval_every = std::max<int64_t>(1, lg.logging_steps);
  }
  // save_strategy (HF): steps = save_steps / saves_per_epoch (else epoch ends); epoch; no; best (the
  // loop saves after an evaluation that improves the metric, nothing on a schedule).
  s.saves = ck.save_strategy != config::SaveStrategy::kNo && ck.save_strategy != config::SaveStrategy::kBest;
  if (ck.save_strategy == config::SaveStrategy::kEpoch) s.save_every = 0;
  else if (ck.save_steps > 0) s.save_every = ck.save_steps;
  else if (ck.saves_per_epoch > 0) s.save_every = std::max<int64_t>(1, per_epoch / ck.saves_per_epoch);
  s.log_every = std::max<int64_t>(1, lg.logging_steps);
  return s;
}

}  // namespace axolotl::train
