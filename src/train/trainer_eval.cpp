// The training loop's evaluation (trainer_loop.h): loss and objective metrics over the eval split.
#include "trainer_loop.h"

namespace axolotl::train::detail {

int Loop::evaluate_only() {
  if (!eval_loader_) {
    throw ConfigError({Diagnostic{{c_.source_file, 0, 0}, "val_set_size", "nothing to evaluate",
                                  "no validation rows", "val_set_size > 0 or test_datasets",
                                  "evaluate reads the eval split or test_datasets"}});
  }
  const double loss = evaluate(0).loss;
  std::printf("eval_loss: %.6f\neval_perplexity: %.6f\n", loss, std::exp(loss));
  return 0;
}

Loop::EvalOutcome Loop::evaluate(int64_t step) {
  const auto t0 = Clock::now();
  s_.model->eval();
  double sum = 0.0;
  int64_t trained = 0, rows = 0;
  const int64_t n = eval_loader_->steps_in_epoch(0);
  MetricTable metrics(objective_->metric_names(), objective_->metric_reduces(), dist_.world_size(),
                      dist_.rank());  // per eval batch, as in train_step
  {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < n; ++i) {
      for (const auto& global : eval_loader_->step(0, i).micro) {
        const size_t at = metrics.add_batch();
        const data::Batch mb = dist_.distributed() ? objective_->share(global, dist_.rank(), c_.training.micro_batch_size)
                                                   : global;
        if (mb.rows == 0) {
          objective_->skip_share();
          continue;
        }
        const MicroLoss ml = objective_->micro_loss(to_tensors(mb, s_.model->device()), 1.0);  // Σ over the batch
        sum += ml.loss.item<double>();
        metrics.add(at, ml.metrics);
        trained += objective_->eval_weight(mb);
        rows += mb.samples;
      }
    }
  }
  s_.model->train();
  if (dist_.distributed()) {  // each rank evaluated its share of every batch
    std::vector<double> numbers = {sum, static_cast<double>(trained), static_cast<double>(rows)};
    numbers.insert(numbers.end(), metrics.numbers().begin(), metrics.numbers().end());
    const auto sums = dist_.all_reduce_sum(numbers);
    sum = sums[0];
    trained = static_cast<int64_t>(std::llround(sums[1]));
    rows = static_cast<int64_t>(std::llround(sums[2]));
    std::copy(sums.begin() + 3, sums.end(), metrics.numbers().begin());
  }
  const double secs = seconds_since(t0);
  const double eval_loss = sum / static_cast<double>(std::max<int64_t>(1, trained));
  const double epoch = schedule_.epoch_at(step);
  nlohmann::json record = {{"step", step}, {"epoch", epoch}, {"eval_loss", eval_loss}, {"eval_perplexity", std::exp(eval_loss)},
                           {"eval_runtime", secs}, {"eval_tokens", trained}};
  for (const auto& [name, mean] : metrics.means()) {  // TRL: the mean over eval batches, as eval_<name>
    record["eval_" + name] = mean;
    if (tensorboard_) tensorboard_->add_scalar("eval/" + name, mean, step);
  }
  if (metrics_) metrics_->write(record);
  if (tensorboard_) {
    tensorboard_->add_scalar("eval/loss", eval_loss, step);
    tensorboard_->add_scalar("eval/perplexity", std::exp(eval_loss), step);
  }
  state_.log_history.push_back({{"eval_loss", eval_loss}, {"eval_runtime", secs},
                                {"eval_samples_per_second", rows / std::max(1e-9, secs)},
                                {"eval_steps_per_second", n / std::max(1e-9, secs)}, {"epoch", epoch}, {"step", step}});
  eval_curve_.push_back({step, eval_loss});
  progress_.message(fmt::format("step {}: eval loss {:.4f}, perplexity {:.3f} ({:.1f}s)", step, eval_loss,
                                std::exp(eval_loss), secs));
  // HF _determine_best_metric and EarlyStoppingCallback (threshold 0): the metric must beat the best so far.
  EvalOutcome out;
  out.loss = eval_loss;
  const double value = record.at(best_metric_key_).get<double>();  // a name the constructor checked
  out.new_best = !state_.best_metric || (greater_is_better_ ? value > *state_.best_metric : value < *state_.best_metric);
  if (out.new_best) {
    state_.best_metric = value;
    state_.best_global_step = step;
    state_.early_stopping_patience_counter = 0;
  } else {
    ++state_.early_stopping_patience_counter;
  }
  out.stop = c_.eval.early_stopping_patience > 0 &&
             state_.early_stopping_patience_counter >= c_.eval.early_stopping_patience;
  return out;
}

void Loop::load_best_model() {
  if (!state_.best_model_checkpoint) {
    log::warn("train", "load_best_model_at_end: no checkpoint holds the best {} (step {}); the final weights are the "
              "last step's", best_metric_key_, state_.best_global_step.value_or(0));
    return;
  }
  const std::string& dir = *state_.best_model_checkpoint;
  if (state_.best_global_step && *state_.best_global_step == state_.global_step) return;  // these weights are it
  if (!fs::is_directory(dir)) {
    log::warn("train", "load_best_model_at_end: the best checkpoint {} is gone; the final weights are the last step's",
              dir);
    return;
  }
  read_weights(dir, *s_.model, s_.adapter);
  log::info("train", "loaded the best model from {} ({} {:.6g}): the final outputs hold its weights", dir,
            best_metric_key_, state_.best_metric.value_or(0.0));
}

}  // namespace axolotl::train::detail
