// The training loop (see trainer.h).
#include "axolotl/train/trainer.h"
#include "axolotl/train/run_summary.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/config/dump.h"
#include "axolotl/data/pretrain_batches.h"
#include "axolotl/data/tokenizer_save.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/folder_lock.h"
#include "axolotl/train/causal_lm_loss.h"
#include "axolotl/train/checkpoint.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/train/loss_curve.h"
#include "axolotl/train/loss_watchdog.h"
#include "axolotl/train/lr_scheduler.h"
#include "axolotl/train/metric_table.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/objective.h"
#include "axolotl/train/objective_factory.h"
#include "axolotl/train/progress.h"
#include "axolotl/train/rng_state.h"
#include "axolotl/train/schedule.h"
#include "axolotl/train/scheduler_state.h"
#include "axolotl/train/stop_signal.h"
#include "axolotl/train/tensorboard_writer.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/train/trainer_rng.h"
#include "axolotl/train/trainer_shard.h"
#include "axolotl/train/trainer_state.h"
#include "axolotl/train/training_setup.h"
#include "axolotl/train/weights_writer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/interrupt.h"
#include "axolotl/util/log.h"

namespace axolotl::train {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kProgressFile = "training_progress.json";

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void write_text(const fs::path& path, const std::string& text) { io::write_file_atomic(path.string(), text); }

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!in || j.is_discarded()) {
    Diagnostic d;
    d.where.file = path.string();
    d.message = "cannot read JSON file";
    throw IoError(d);
  }
  return j;
}

// Progress kept across a resume so that steps N+1.. repeat the uninterrupted run exactly.
struct Counters {
  int64_t tokens_seen = 0;      // non-padding input tokens
  double log_loss_sum = 0.0;    // since the last log line
  int64_t log_steps = 0;
  int64_t log_tokens = 0;
  nlohmann::json log_metrics = nlohmann::json::object();  // objective metrics: name -> [Σ value, count]
};

class Loop {
 public:
  Loop(const config::Config& c, TrainingSetup& s, DistributedContext& dist)
      : c_(c), s_(s), dist_(dist), main_(dist.is_main_process()), out_(c.output.output_dir),
        bundle_(make_objective(c.preference, {c.adapter.type != config::AdapterType::kNone,
                                              c.training.gradient_checkpointing, dist.distributed()}, *s.model)),
        objective_(bundle_.objective.get()),
        optimizer_(c.training, s.trainable),
        watchdog_(c.training.loss_watchdog_threshold, c.training.loss_watchdog_patience),
        progress_(main_ && isatty(STDERR_FILENO) != 0) {
    if (main_) tokenizer_save_ = data::plan_tokenizer_save(s.tokenizer_dir, c.tokenizer, s.tokenizer.get());
    data::BatchOptions bo;
    bo.sequence_len = c.data.sequence_len;
    // Global micro-batches of micro × world rows (trainer_shard.h): the same bins and steps as one
    // process with micro × world, so the schedule counts steps of the effective batch.
    bo.micro_batch_size = c.training.micro_batch_size * dist.world_size();
    bo.gradient_accumulation_steps = c.training.gradient_accumulation_steps;
    bo.sample_packing = c.data.sample_packing;
    bo.pad_to_sequence_len = c.data.pad_to_sequence_len.value_or(c.data.sample_packing);
    bo.pad_id = std::max(0, s.tokenizer->pad_id());
    bo.seed = c.training.seed;
    bo.shuffle = !c.data.curriculum_sampling;  // curriculum_sampling: dataset order
    bo.preference_pairs = !c.preference.method.empty();  // [chosen; rejected] rows, never packed
    bo.kto_rows = c.preference.method == "kto";           // examples + KL rows (TRL: sequential sampler)
    bo.kl_group = c.training.micro_batch_size;
    if (bo.kto_rows) bo.shuffle = false;
    if (c.data.pretrain.enabled()) {  // streaming pretraining: every rank reads the global rows (trainer_shard.h)
      stream_ = data::PretrainBatches::from_config(c.data, s.pretrain_files, *s.tokenizer, bo.micro_batch_size,
                                                   bo.gradient_accumulation_steps);
    } else {
      train_loader_ = std::make_unique<data::BatchLoader>(s.data.train, bo);
    }
    if (s.data.val.size() > 0) {
      data::BatchOptions eo = bo;
      eo.gradient_accumulation_steps = 1;
      if (c.eval.eval_batch_size > 0) eo.micro_batch_size = c.eval.eval_batch_size * dist.world_size();
      eo.shuffle = false;
      eo.sample_packing = c.data.eval_sample_packing.value_or(c.data.sample_packing);
      eval_loader_ = std::make_unique<data::BatchLoader>(s.data.val, eo);
    }
    std::vector<int64_t> per_epoch;
    int64_t cum = 0;
    const int epochs = std::max(1, c.training.num_epochs);
    if (stream_) per_epoch.push_back(c.training.max_steps);  // a stream has no epochs: one of max_steps
    for (int64_t e = 0; !stream_ && (c.training.max_steps > 0 ? cum < c.training.max_steps : e < epochs); ++e) {
      per_epoch.push_back(train_loader_->steps_in_epoch(e));
      cum += per_epoch.back();
      if (per_epoch.back() == 0) break;
    }
    schedule_ = make_schedule(c.training, c.eval, c.checkpoint, c.logging, per_epoch, eval_loader_ != nullptr);
    scheduler_ = std::make_unique<LrScheduler>(c.training.lr_scheduler, c.training.learning_rate,
                                               schedule_.warmup_steps, schedule_.total_steps,
                                               c.training.cosine_min_lr_ratio);
    scheduler_->set_constant_lr_ratio(c.training.cosine_constant_lr_ratio);
    state_.max_steps = schedule_.total_steps;
    state_.logging_steps = schedule_.log_every;
    state_.eval_steps = schedule_.eval_every;
    state_.save_steps = schedule_.save_every;
    state_.train_batch_size = c.training.micro_batch_size;
    state_.num_train_epochs = static_cast<int64_t>(schedule_.epoch_end_steps.size());
    state_.early_stopping_patience = c.eval.early_stopping_patience;
    for (const auto& item : s.trainable) trainable_tensors_.push_back(item.second);
  }

  int run() {
    if (main_) fs::create_directories(out_);
    // On the initial weights, before a restore (a stream has no loader: rl with pretraining_dataset is refused).
    if (train_loader_) precompute_reference(*objective_, *train_loader_, *s_.model);
    if (eval_loader_) precompute_reference(*objective_, *eval_loader_, *s_.model);
    const std::string resume = resume_dir();
    if (!resume.empty()) restore(resume);
    dist_.barrier("start");  // every rank has read the checkpoint before rank 0 writes anything
    if (main_) {
      metrics_ = std::make_unique<MetricsWriter>((out_ / "metrics.jsonl").string(), resume.empty() ? -1 : state_.global_step);
      if (c_.logging.use_tensorboard) tensorboard_ = std::make_unique<TensorBoardWriter>((out_ / "runs").string());
    }
    log::info("train", "{} optimizer steps ({} epochs, warmup {}, micro batch {} x accumulation {} x {} rank(s)), "
              "output {}", schedule_.total_steps, schedule_.epoch_end_steps.size(), schedule_.warmup_steps,
              c_.training.micro_batch_size, c_.training.gradient_accumulation_steps, dist_.world_size(), out_.string());
    const auto start = Clock::now();
    auto last_log = Clock::now();
    int64_t steps_this_session = 0;
    while (state_.global_step < schedule_.total_steps) {
      if (stop_requested()) break;
      const double loss = train_step();
      if (diverged_non_finite_) break;
      ++steps_this_session;
      const int64_t step = state_.global_step;
      progress_.update({step, schedule_.total_steps, schedule_.epoch_at(step), loss, last_lr_, last_grad_norm_,
                        counters_.log_tokens / std::max(1e-9, seconds_since(last_log)),
                        seconds_since(start) / static_cast<double>(steps_this_session), step_metrics_});
      if (schedule_.logs_at(step) || step == schedule_.total_steps) {
        log_train(step, seconds_since(last_log));
        last_log = Clock::now();
      }
      bool stop_early = false;
      if (schedule_.evaluates_at(step)) stop_early = evaluate(step);
      const bool last = step == schedule_.total_steps || stop_early;
      if (schedule_.saves_at(step) || (stop_requested() && !last)) save(step);
      if (stop_early) {
        progress_.message(fmt::format("early stopping: eval loss did not improve for {} evaluations",
                                      c_.eval.early_stopping_patience));
        state_.should_training_stop = true;
        break;
      }
      if (!diverged_.empty()) break;
    }
    progress_.finish();
    if (!diverged_.empty()) return stop_diverged(seconds_since(start));
    if (stop_requested() && state_.global_step < schedule_.total_steps) {
      if (state_.global_step > 0 && last_saved_step_ != state_.global_step) save(state_.global_step);
      if (main_) write_trainer_state((out_ / "trainer_state.json").string(), state_);
      log::warn("train", "stopped by signal {} at step {}; resume with auto_resume_from_checkpoints: true or "
                "resume_from_checkpoint: {}", stop_signal(), state_.global_step,
                (out_ / ("checkpoint-" + std::to_string(state_.global_step))).string());
      dist_.barrier("stop");
      return 128 + stop_signal();
    }
    if (main_) finish(seconds_since(start));
    dist_.barrier("final files");  // no rank reports success before rank 0's outputs are in place
    return 0;
  }

  // `axolotl evaluate`: one evaluation of the loaded model, nothing trained or written.
  int evaluate_only() {
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

 private:
  // A stop signal: in a single process this one's; with several ranks, one that ANY rank saw at the
  // last step's all-reduce, so every rank leaves at the same step.
  bool stop_requested() const { return dist_.distributed() ? stop_all_signal_ != 0 : stop_.requested(); }
  int stop_signal() const {
    if (stop_.requested()) return stop_.signal();
    return dist_.distributed() && stop_all_signal_ != 0 ? stop_all_signal_ : stop_.signal();
  }

  // After the watchdog fired: a checkpoint of the current weights (unless this step's is saved or no
  // step ran) and the usual final outputs, then exit 0 for a loss over the threshold (as Python's
  // run ends normally) and an Error naming the checkpoint for a non-finite loss.
  int stop_diverged(double seconds) {
    const int64_t step = state_.global_step;
    state_.should_training_stop = true;
    if (step > 0 && last_saved_step_ != step) save(step);
    log::warn("train", "loss watchdog: {}; stopped at step {} of {}{}", diverged_, step, schedule_.total_steps,
              diverged_non_finite_ ? " without applying that step" : "");
    if (main_ && step > 0) finish(seconds);
    dist_.barrier("final files");
    if (!diverged_non_finite_) return 0;
    Diagnostic d;
    d.message = "training diverged: " + diverged_ + "; the weights of that step were not updated";
    d.hint = step > 0 ? "saved the last finite weights in " + (out_ / ("checkpoint-" + std::to_string(step))).string() +
                            " and " + out_.string() + "; lower learning_rate or check the data"
                      : "no optimizer step had completed, so nothing was saved; lower learning_rate or check the data";
    throw Error(d);
  }

  std::string resume_dir() {
    const auto& ck = c_.checkpoint;
    if (!ck.resume_from_checkpoint.empty()) {
      const std::string problem = verify_checkpoint(ck.resume_from_checkpoint);
      if (!problem.empty()) {
        Diagnostic d;
        d.key = "resume_from_checkpoint";
        d.where.file = ck.resume_from_checkpoint;
        d.message = "cannot resume from this checkpoint: " + problem;
        if (auto good = latest_good_checkpoint(out_.string())) d.hint = "the newest complete checkpoint is " + good->path;
        throw Error(d);
      }
      return ck.resume_from_checkpoint;
    }
    if (ck.auto_resume_from_checkpoints) {
      if (auto good = latest_good_checkpoint(out_.string())) return good->path;
    }
    return {};
  }

  void restore(const std::string& dir) {
    const fs::path d = dir;
    read_weights(dir, *s_.model, s_.adapter);
    optimizer_.load((d / "optimizer.pt").string());
    state_ = read_trainer_state((d / "trainer_state.json").string());
    const nlohmann::json p = read_json(d / kProgressFile);
    if (p.value("total_steps", int64_t{0}) != schedule_.total_steps)
      log::warn("train", "the checkpoint was written for {} total steps, this run has {}: the LR schedule changes",
                p.value("total_steps", int64_t{0}), schedule_.total_steps);
    if (stream_ && !p.contains("stream"))
      throw Error(Diagnostic{{dir}, "pretraining_dataset", "this checkpoint was not written by a streaming run", {}, {}, {}});
    if (stream_) stream_->restore(p["stream"]);
    else train_loader_->seek({p.at("cursor").at("epoch").get<int64_t>(), p.at("cursor").at("step").get<int64_t>()});
    counters_.tokens_seen = p.value("tokens_seen", int64_t{0});
    counters_.log_loss_sum = p.value("log_loss_sum", 0.0);
    counters_.log_steps = p.value("log_steps", int64_t{0});
    counters_.log_tokens = p.value("log_tokens", int64_t{0});
    if (p.contains("log_metrics")) counters_.log_metrics = p["log_metrics"];
    for (const auto& e : state_.log_history) {
      if (e.contains("loss") && e["loss"].is_number()) train_curve_.push_back({e["step"], e["loss"]});
      if (e.contains("eval_loss") && e["eval_loss"].is_number()) eval_curve_.push_back({e["step"], e["eval_loss"]});
    }
    const std::string rng = rank_rng_file(dir, dist_.rank(), dist_.world_size());
    if (!rng.empty()) {
      load_rng_state(rng);  // last: nothing above may draw from it
    } else {  // a checkpoint of a single-process run, or of fewer ranks
      log::warn("train", "{} has no generator state for rank {}: seeding with seed + rank + step", dir, dist_.rank());
      torch::manual_seed(c_.training.seed + static_cast<uint64_t>(dist_.rank()) +
                         1000003ull * static_cast<uint64_t>(state_.global_step));
    }
    last_saved_step_ = state_.global_step;
    log::info("train", "resumed from {} at step {} (epoch {:.2f})", dir, state_.global_step,
              schedule_.epoch_at(state_.global_step));
  }

  // One optimizer step over gradient_accumulation_steps micro-batches (this rank's rows of each
  // global micro-batch); returns the step loss over every rank.
  double train_step() {
    const data::StepBatch sb = stream_ ? stream_->next() : train_loader_->next();
    optimizer_.zero_grad();
    double loss = 0.0;
    int64_t tokens = 0, trained = 0;
    // Trainer.floating_point_ops: 6 · input_ids.numel() (padding included) · parameters without the
    // embeddings, per micro-batch; summed over ranks (store_flos), i.e. over the global micro-batches.
    if (flops_params_ < 0) {
      flops_params_ = 0.0;
      for (const auto& p : s_.model->named_parameters())
        if (p.key().find("embed_tokens") == std::string::npos) flops_params_ += static_cast<double>(p.value().numel());
    }
    for (const data::Batch& global : sb.micro)
      state_.total_flos += 6.0 * static_cast<double>(global.rows * global.seq_len) * flops_params_;
    // Σ CE / trained tokens of the whole step on all ranks: every rank's loader sees the global
    // micro-batches, so it knows the global denominator without communicating.
    const double denom = objective_->step_denominator(sb);
    MetricTable metrics(objective_->metric_names());  // summed over ranks with the step's numbers
    for (size_t mi = 0; mi < sb.micro.size(); ++mi) {
      metrics.add_batch();
      const data::Batch& global = sb.micro[mi];
      const data::Batch mine = dist_.distributed() ? objective_->share(global, dist_.rank(), c_.training.micro_batch_size)
                                                   : global;
      if (mine.rows == 0) continue;  // the short last micro-batch of an epoch may leave a rank nothing
      const BatchTensors bt = to_tensors(mine, s_.model->device());
      MicroLoss ml = objective_->micro_loss(bt, denom);
      torch::Tensor l = ml.loss;
      l.backward();
      metrics.add(mi, ml.metrics);
      loss += l.item<double>();
      tokens += mine.tokens;
      trained += mine.trained_tokens;
    }
    if (dist_.distributed()) {
      // One small all-reduce for the step's numbers and the stop flag (distributed_context.h, step 5).
      const int signal = stop_.requested() ? stop_.signal() : 0;
      std::vector<double> numbers = {static_cast<double>(trained), loss, static_cast<double>(tokens),
                                     signal != 0 ? 1.0 : 0.0, static_cast<double>(signal)};
      numbers.insert(numbers.end(), metrics.numbers().begin(), metrics.numbers().end());
      const auto sums = dist_.all_reduce_sum(numbers);
      std::copy(sums.begin() + 5, sums.end(), metrics.numbers().begin());
      all_reduce_gradients(dist_, trainable_tensors_);  // Σ over ranks of Σ CE / global tokens
      if (static_cast<int64_t>(std::llround(sums[0])) != sb.trained_tokens)
        throw Error(fmt::format("ranks disagree on the data: {} trained tokens over all ranks, {} expected "
                                "(every rank must see the same prepared data and config)", sums[0], sb.trained_tokens));
      loss = sums[1];
      tokens = static_cast<int64_t>(std::llround(sums[2]));
      if (sums[3] > 0) stop_all_signal_ = static_cast<int>(std::lround(sums[4] / sums[3]));
    }
    for (const auto& [name, value] : metrics.values()) add_metric(name, value);  // one per micro-batch, as TRL
    step_metrics_ = metrics.means(objective_->progress_metrics());
    const int64_t step = state_.global_step;
    last_grad_norm_ = clip_grad_norm(s_.trainable, c_.training.max_grad_norm);
    // The watchdog stops the run gracefully (run() saves and writes the outputs): a loss over the
    // threshold after this step's update, as Axolotl's LossWatchDogCallback does at on_step_end; a
    // non-finite loss or gradient norm before it, so that the weights saved are still finite.
    diverged_ = watchdog_.check(step + 1, loss, last_grad_norm_);
    diverged_non_finite_ = !diverged_.empty() && !(std::isfinite(loss) && std::isfinite(last_grad_norm_));
    if (diverged_non_finite_) {
      optimizer_.zero_grad();
      return loss;
    }
    last_lr_ = scheduler_->lr(step);
    optimizer_.set_lr(last_lr_);
    optimizer_.step();
    state_.global_step = step + 1;
    state_.epoch = schedule_.epoch_at(state_.global_step);
    counters_.tokens_seen += tokens;
    counters_.log_tokens += tokens;
    counters_.log_loss_sum += loss;
    counters_.log_steps += 1;
    state_.num_input_tokens_seen = counters_.tokens_seen;
    return loss;
  }

  void log_train(int64_t step, double seconds) {
    if (counters_.log_steps == 0) return;
    const double loss = counters_.log_loss_sum / static_cast<double>(counters_.log_steps);
    const double tps = static_cast<double>(counters_.log_tokens) / std::max(1e-9, seconds);
    const double epoch = schedule_.epoch_at(step);
    nlohmann::json record = {{"step", step}, {"epoch", epoch}, {"loss", loss}, {"learning_rate", last_lr_},
                             {"grad_norm", last_grad_norm_}, {"tokens", counters_.tokens_seen}, {"tokens_per_second", tps}};
    for (const auto& [name, acc] : counters_.log_metrics.items()) {
      const double mean = acc[0].get<double>() / std::max(1.0, acc[1].get<double>());
      record[name] = mean;
      if (tensorboard_) tensorboard_->add_scalar("train/" + name, mean, step);
    }
    if (metrics_) metrics_->write(record);
    if (tensorboard_) {
      tensorboard_->add_scalar("train/loss", loss, step);
      tensorboard_->add_scalar("train/learning_rate", last_lr_, step);
      tensorboard_->add_scalar("train/grad_norm", last_grad_norm_, step);
      tensorboard_->add_scalar("train/epoch", epoch, step);
      tensorboard_->add_scalar("train/tokens_per_second", tps, step);
    }
    state_.log_history.push_back({{"loss", std::round(loss * 1e4) / 1e4}, {"grad_norm", last_grad_norm_},
                                  {"learning_rate", last_lr_}, {"epoch", epoch}, {"step", step}});
    train_curve_.push_back({step, loss});
    counters_.log_loss_sum = 0.0;
    counters_.log_steps = 0;
    counters_.log_tokens = 0;
    counters_.log_metrics = nlohmann::json::object();
  }

  void add_metric(const std::string& name, double value) {
    auto& acc = counters_.log_metrics[name];
    if (acc.is_null()) acc = nlohmann::json::array({0.0, 0.0});
    acc[0] = acc[0].get<double>() + value;
    acc[1] = acc[1].get<double>() + 1.0;
  }

  // Loss over the whole validation split; returns true when early stopping says stop.
  bool evaluate(int64_t step) {
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
          if (mb.rows == 0) continue;
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

  // Rank 0 writes the checkpoint (with every rank's generator state); the others wait for it.
  void save(int64_t step) {
    const fs::path final_dir = out_ / ("checkpoint-" + std::to_string(step));
    if (state_.best_global_step && *state_.best_global_step == step) state_.best_model_checkpoint = final_dir.string();
    last_saved_step_ = step;
    const std::vector<torch::Tensor> rng_states = gather_rng_states(dist_);
    if (!main_) {
      dist_.barrier("checkpoint");
      return;
    }
    const data::Cursor cursor = train_loader_ ? train_loader_->cursor() : data::Cursor{};
    try {
      save_checkpoint(out_.string(), step, [&](const std::string& dir) {
        const fs::path d = dir;
        write_weights(dir, *s_.model, s_.adapter);
        data::write_tokenizer_files(tokenizer_save_, dir);
        write_text(d / "axolotl_config.yml", config::to_yaml(c_, "resolved config of this run"));
        if (c_.checkpoint.save_only_model) return;  // weights only, as HF's save_only_model: not resumable
        // Trainer's files: the rate is the one its scheduler leaves after `step` steps.
        optimizer_.save((d / "optimizer.pt").string(), scheduler_->lr(step));
        write_torch_pickle((d / "scheduler.pt").string(),
                           lambda_lr_state_dict(step, c_.training.learning_rate, scheduler_->lr(step),
                                                optimizer_.group_count()));
        write_rng_states(dir, rng_states, c_.training.seed);
        write_trainer_state((d / "trainer_state.json").string(), state_);
        nlohmann::json progress{{"format", "axolotl-training-progress"}, {"version", 1}, {"global_step", step},
                                {"total_steps", schedule_.total_steps},
                                {"cursor", {{"epoch", cursor.epoch}, {"step", cursor.step}}},
                                {"tokens_seen", counters_.tokens_seen}, {"log_loss_sum", counters_.log_loss_sum},
                                {"log_steps", counters_.log_steps}, {"log_tokens", counters_.log_tokens},
                                {"log_metrics", counters_.log_metrics}};
        if (stream_) progress["stream"] = stream_->state();  // files, sequence_len, skip, position
        write_text(d / kProgressFile, progress.dump(2) + "\n");
      });
    } catch (const IoError& e) {
      Diagnostic d = e.diagnostic();
      d.message = "saving checkpoint-" + std::to_string(step) + " failed: " + d.message;
      const auto good = latest_good_checkpoint(out_.string());
      d.hint = good ? "the last good checkpoint is " + good->path + " (resume_from_checkpoint: " + good->path + ")"
                    : "no earlier checkpoint of this run is complete";
      throw IoError(d);
    }
    rotate_checkpoints(out_.string(), c_.checkpoint.save_total_limit, state_.best_model_checkpoint.value_or(""));
    progress_.message(fmt::format("saved {}", final_dir.string()));
    dist_.barrier("checkpoint");
  }

  void finish(double seconds) {
    double train_loss = 0.0;
    for (const auto& p : train_curve_) train_loss += p.second;
    if (!train_curve_.empty()) train_loss /= static_cast<double>(train_curve_.size());
    const int64_t step = state_.global_step;
    // Trainer's speed_metrics: num_train_samples = max_steps · total_train_batch_size, this run's runtime.
    const double samples = static_cast<double>(schedule_.total_steps) * c_.training.micro_batch_size *
                           c_.training.gradient_accumulation_steps * dist_.world_size();
    state_.log_history.push_back({{"train_runtime", seconds},
                                  {"train_samples_per_second", samples / std::max(1e-9, seconds)},
                                  {"train_steps_per_second", step / std::max(1e-9, seconds)},
                                  {"total_flos", state_.total_flos}, {"train_loss", train_loss},
                                  {"epoch", schedule_.epoch_at(step)}, {"step", step}});
    write_weights(out_.string(), *s_.model, s_.adapter);
    data::write_tokenizer_files(tokenizer_save_, out_.string());
    write_text(out_ / "axolotl_config.yml", config::to_yaml(c_, "resolved config of this run"));
    write_trainer_state((out_ / "trainer_state.json").string(), state_);
    write_loss_curve((out_ / "loss_curve.svg").string(), train_curve_, eval_curve_,
                     "loss: " + fs::path(c_.model.name).filename().string());
    RunSummary summary{step, schedule_.epoch_at(step), seconds, counters_.tokens_seen, train_loss, train_curve_,
                       eval_curve_, out_.string(), s_.adapter.r > 0, {}};
    for (const auto& c : list_checkpoints(out_.string())) summary.checkpoints.push_back(fs::path(c.path).filename().string());
    for (const auto& line : summary_lines(summary)) log::info("train", "{}", line);
  }

  const config::Config& c_;
  TrainingSetup& s_;
  DistributedContext& dist_;
  const bool main_;  // rank 0: writes files and shows progress
  fs::path out_;
  ObjectiveBundle bundle_;
  Objective* objective_;
  std::vector<std::pair<std::string, double>> step_metrics_;  // the last step's progress metrics
  Optimizer optimizer_;
  LossWatchdog watchdog_;
  Progress progress_;
  StopSignal stop_;
  std::unique_ptr<data::BatchLoader> train_loader_, eval_loader_;  // train_loader_: null when streaming
  std::unique_ptr<data::PretrainBatches> stream_;                   // pretraining_dataset (else null)
  data::TokenizerSave tokenizer_save_;  // the tokenizer files of every output folder (added tokens)
  Schedule schedule_;
  std::unique_ptr<LrScheduler> scheduler_;
  TrainerState state_;
  Counters counters_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  Series train_curve_, eval_curve_;
  double last_lr_ = 0.0, last_grad_norm_ = 0.0;
  double flops_params_ = -1.0;  // PreTrainedModel.num_parameters(exclude_embeddings=True); set at the first step
  std::vector<torch::Tensor> trainable_tensors_;  // s_.trainable's tensors, for the gradient all-reduce
  int stop_all_signal_ = 0;                       // the signal some rank saw (distributed runs)
  int64_t last_saved_step_ = 0;
  std::string diverged_;              // the watchdog's reason to stop; empty while training goes on
  bool diverged_non_finite_ = false;  // NaN/Inf: that step was not applied
};

}  // namespace

int run_training(const config::Config& c) {
  // First, before loading data: a lost peer fails here, naming it (distributed_context.h, step 1).
  const auto dist = DistributedContext::from_env(c.distributed);
  if (dist->distributed()) {
    log::info("train", "rank {} of {} ({} backend, {})", dist->rank(), dist->world_size(), backend_name(dist->backend()),
              dist->device().str());
    if (!dist->is_main_process() && log::level() < log::Level::kWarn) log::set_level(log::Level::kWarn);
  }
  // One run per output folder, taken before any data is read (rank 0 writes every file).
  std::unique_ptr<io::FolderLock> lock;
  if (dist->is_main_process()) {
    lock = std::make_unique<io::FolderLock>(c.output.output_dir, "axolotl train");
    remove_stale_checkpoint_temps(c.output.output_dir);
  }
  TrainingSetup setup = load_training_setup(c, *dist);
  throw_if_interrupted("train start-up");  // a signal while the model loaded: stop before any step
  Loop loop(c, setup, *dist);
  return loop.run();
}

int run_evaluation(const config::Config& c) {
  if (c.data.val_set_size <= 0 && c.data.test_datasets.empty()) {
    throw ConfigError({Diagnostic{{c.source_file, 0, 0}, "val_set_size", "nothing to evaluate", "val_set_size: 0",
                                  "val_set_size > 0 or test_datasets", "evaluate reads the eval split or test_datasets"}});
  }
  const auto dist = DistributedContext::from_env(c.distributed);
  TrainingSetup setup = load_training_setup(c, *dist);
  Loop loop(c, setup, *dist);
  return loop.evaluate_only();
}

}  // namespace axolotl::train
