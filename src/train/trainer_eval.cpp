// The training loop's evaluation (trainer_loop.h): loss and objective metrics over the eval split.
#include "trainer_loop.h"

namespace axolotl::train::detail {

int Loop::evaluate_only() {
  if (!eval_loader_) {
    throw ConfigError({Diagnostic{{c_.source_file, 0, 0}, "val_set_size", "nothing to evaluate",
                                  "no validation rows", "val_set_size > 0 or test_datasets",
                                  "evaluate reads the eval split or test_datasets"}});
  }
  evaluate(0);
  const double loss = *state_.best_metric;
  std::printf("eval_loss: %.6f\neval_perplexity: %.6f\n", loss, std::exp(loss));
  return 0;
}

bool Loop::evaluate(int64_t step) {
  const auto t0 = Clock::now();
  s_.model->eval();
  double sum = 0.0;
  int64_t trained = 0, rows = 0;
  const int64_t n = eval_loader_->steps_in_epoch(0);
  MetricTable metrics(objective_->metric_names());  // per eval batch, as in train_step
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
  if (!state_.best_metric || eval_loss < *state_.best_metric) {
    state_.best_metric = eval_loss;
    state_.best_global_step = step;
    state_.early_stopping_patience_counter = 0;
  } else {
    ++state_.early_stopping_patience_counter;
  }
  return c_.eval.early_stopping_patience > 0 &&
         state_.early_stopping_patience_counter >= c_.eval.early_stopping_patience;
}

}  // namespace axolotl::train::detail
